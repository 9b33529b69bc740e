"""Keeping the search rows in step with the contracts.

:func:`index_contract` (one contract) and :func:`index_contracts` (many, set-based) rewrite the
rows from the contract as it is now; a contract that no longer exists loses its row. The contract
archive calls :func:`index_contract` after a contract is read or corrected; the search page calls
:func:`index_stale` for contracts never indexed or changed since (a safety net), and
``anzu contract_search_rebuild`` rewrites an organization's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from anzu.common import clock
from anzu.contracts.models import Contract
from anzu.contracts.search.models import SearchEntry
from anzu.contracts.search.text import FIELD_SEPARATOR, document_grams, gram_key, normalize

CHUNK = 2000
# Contracts indexed per lazy pass (the rest follow on the next page view).
LAZY_LIMIT = 500
LAZY_INTERVAL_SECONDS = 30

ENTRY_COLUMNS = (
    "contract_id",
    "organization_id",
    "project_id",
    "building_id",
    "unit_id",
    "status",
    "risk_level",
    "monthly_rent",
    "end_date",
    "terminated_on",
    "keys",
    "body",
    "source_updated_at",
    "indexed_at",
)
PG_COLUMNS = (*ENTRY_COLUMNS, "key_grams", "grams")


def key_fields(
    *,
    title: str,
    lessor: str,
    lessee: str,
    address: str,
    lease_code: str,
    unit: str,
) -> str:
    """The normalised key fields, one per line, in a fixed order (see ``KEY_FIELD_NAMES``)."""
    return FIELD_SEPARATOR.join(
        normalize(value) for value in (title, lessor, lessee, address, lease_code, unit)
    )


KEY_FIELD_NAMES = ("title", "lessor", "lessee", "address", "lease_code", "unit")


def entry_row(contract: Contract, now: Any) -> tuple[Any, ...]:
    unit = ""
    unit_obj = contract.unit
    if unit_obj is not None:
        building = getattr(unit_obj, "building", None)
        unit = f"{building.name if building else ''} {unit_obj.code}".strip()
    keys = key_fields(
        title=contract.title,
        lessor=contract.lessor_name,
        lessee=contract.lessee_name,
        address=contract.address,
        lease_code=contract.lease.code if contract.lease is not None else "",
        unit=unit,
    )
    return (
        contract.pk,
        contract.organization_id,
        contract.project_id,
        contract.building_id,
        contract.unit_id,
        contract.status,
        contract.risk_level or "",
        contract.monthly_rent,
        contract.end_date,
        contract.terminated_on,
        keys,
        normalize(contract.text),
        contract.updated_at,
        now,
    )


# Filter tokens share the gram arrays, so a term plus a selective filter is answered inside the
# GIN index instead of row by row. They are plain integer codes (computable in SQL too); a rare
# clash with a gram hash only widens the candidates — the exact filters are always applied.
RENT_BAND = 1000
MAX_RENT_BAND = 100
_RISK_CODES = {"low": 1, "medium": 2, "high": 3}


def project_token(project_id: int) -> int:
    return 2_000_000_000 + project_id % 100_000_000


def risk_token(risk_level: str) -> int:
    return -2_000_000_000 - _RISK_CODES.get(risk_level, 0)


def month_token(year: int, month: int) -> int:
    """The month a contract that is not terminated ends in."""
    return -2_100_000_000 + year * 12 + month


def rent_token(band: int) -> int:
    """Monthly rent in bands of RENT_BAND yuan (the last band holds everything above)."""
    return -2_050_000_000 + min(band, MAX_RENT_BAND)


def filter_tokens(row: Sequence[Any]) -> set[int]:
    """Tokens of the selective filter values (not the status: most contracts are "ready")."""
    project_id, risk, rent, end, terminated = row[2], row[6], row[7], row[8], row[9]
    tokens: set[int] = set()
    if project_id is not None:
        tokens.add(project_token(project_id))
    if risk:
        tokens.add(risk_token(risk))
    if end is not None and terminated is None:
        tokens.add(month_token(end.year, end.month))
    if rent is not None:
        tokens.add(rent_token(int(rent // RENT_BAND)))
    return tokens


def grams_of(row: Sequence[Any]) -> tuple[list[int], list[int]]:
    """(key grams, all grams) of an entry row for the PostgreSQL arrays: :func:`gram_key`
    hashes plus the filter tokens."""
    keys, body = row[10], row[11]
    key_grams = document_grams(keys, single_cjk=True)
    grams = document_grams(body) | {g for g in key_grams if len(g) > 1}
    tokens = filter_tokens(row)
    return (
        sorted({gram_key(g) for g in key_grams} | tokens),
        sorted({gram_key(g) for g in grams} | tokens),
    )


def write_rows(rows: Sequence[tuple[Any, ...]]) -> int:
    """Replace the search rows of these contracts (inside the caller's transaction)."""
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    SearchEntry.objects.filter(contract_id__in=ids).delete()
    if connection.vendor == "postgresql":
        names = ", ".join(PG_COLUMNS)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY contract_search_searchentry ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *grams_of(row)))
        return len(rows)
    SearchEntry.objects.bulk_create(
        [SearchEntry(**dict(zip(ENTRY_COLUMNS, row, strict=True))) for row in rows]
    )
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(f"DELETE FROM contract_search_fts WHERE rowid IN ({marks})", ids)
        cursor.executemany(
            "INSERT INTO contract_search_fts (rowid, keys, body) VALUES (%s, %s, %s)",
            [(row[0], row[10], row[11]) for row in rows],
        )
    return len(rows)


def _delete(ids: Iterable[int]) -> None:
    ids = list(ids)
    if not ids:
        return
    SearchEntry.objects.filter(contract_id__in=ids).delete()
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(f"DELETE FROM contract_search_fts WHERE rowid IN ({marks})", ids)


def index_contracts(contract_ids: Iterable[int]) -> int:
    """Re-index these contracts (set-based, in chunks); returns how many rows were written."""
    ids = sorted({int(pk) for pk in contract_ids})
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            contracts = list(
                Contract.objects.filter(pk__in=chunk)
                .select_related("lease", "unit__building")
                .order_by("pk")
            )
            now = clock.now()
            found = {c.pk for c in contracts}
            _delete(pk for pk in chunk if pk not in found)
            written += write_rows([entry_row(c, now) for c in contracts])
    return written


def index_contract(contract_id: int) -> bool:
    """Re-index one contract after it was read or corrected; False when it no longer exists.

    Safe to call inside the caller's transaction (it joins it) or outside it.
    """
    return index_contracts([contract_id]) == 1


def stale_ids(organization_id: int, *, limit: int | None = None) -> list[int]:
    """Contracts of the organization with no search row or one older than the contract."""
    fresh = SearchEntry.objects.filter(
        contract_id=OuterRef("pk"), source_updated_at__gte=OuterRef("updated_at")
    )
    qs = (
        Contract.objects.filter(organization_id=organization_id)
        .filter(~Exists(fresh))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(qs[:limit] if limit else qs)


def index_stale(organization_id: int, *, limit: int = LAZY_LIMIT, force: bool = False) -> int:
    """Index up to ``limit`` stale contracts; at most once per interval per organization
    unless ``force``."""
    if not force and not cache.add(
        f"contract-search:lazy:{organization_id}", 1, timeout=LAZY_INTERVAL_SECONDS
    ):
        return 0
    return index_contracts(stale_ids(organization_id, limit=limit))


def rebuild(organization_id: int | None = None) -> int:
    """Rewrite every search row (of one organization, or all)."""
    qs = Contract.objects.all()
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        orphans = SearchEntry.objects.exclude(contract_id__in=qs.values("pk"))
        if organization_id is not None:
            orphans = orphans.filter(organization_id=organization_id)
        _delete(orphans.values_list("contract_id", flat=True))
    return index_contracts(ids)
