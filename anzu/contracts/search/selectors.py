"""Reads for the board, the drill-down lists and search results (presented for the user)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound, ValidationFailed
from anzu.contracts.models import Contract
from anzu.contracts.search import access as search_access
from anzu.contracts.search import engine
from anzu.contracts.search.choices import Bucket
from anzu.contracts.search.lifecycle import board_counts, bucket_contracts
from anzu.contracts.search.models import ContractRenewal, SearchEntry
from anzu.contracts.search.presenters import present_contract, present_hit


def board_contracts(user: Any, project_id: int | None = None) -> QuerySet[Contract]:
    search_access.require_view(user)
    qs = search_access.contracts_for_user(user)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return qs


def board(user: Any, *, today: dt.date, project_id: int | None = None) -> dict[str, Any]:
    return board_counts(board_contracts(user, project_id), today)


def bucket_queryset(
    user: Any, bucket: str, *, today: dt.date, project_id: int | None = None
) -> QuerySet[Contract]:
    if bucket not in Bucket.values:
        raise NotFound("bucket")
    return bucket_contracts(board_contracts(user, project_id), bucket, today)


# What the rows show (never the full text).
ROW_FIELDS = (
    "organization_id",
    "title",
    "status",
    "project__name",
    "unit__code",
    "lease__code",
    "lease__unit_id",
    "lease__customer_id",
    "lessor_name",
    "lessee_name",
    "address",
    "start_date",
    "end_date",
    "terminated_on",
    "monthly_rent",
    "risk_level",
)


def rows_of(qs: QuerySet[Contract]) -> QuerySet[Contract]:
    return qs.select_related("project", "unit", "lease").only(*ROW_FIELDS)


def load_contracts(ids: Any) -> list[Contract]:
    """Contracts with what the rows show, in the order of ``ids``."""
    ids = list(ids)
    rows = rows_of(Contract.objects.filter(pk__in=ids))
    by_id = {c.pk: c for c in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def renewals_of(ids: list[int]) -> dict[int, ContractRenewal]:
    return {
        r.contract_id: r
        for r in ContractRenewal.objects.filter(contract_id__in=ids).select_related("updated_by")
    }


def present_rows(user: Any, contracts: list[Contract], *, today: dt.date) -> list[dict[str, Any]]:
    renewals = renewals_of([c.pk for c in contracts])
    return [present_contract(user, c, today=today, renewal=renewals.get(c.pk)) for c in contracts]


def search_items(user: Any, result: engine.SearchResult, *, today: dt.date) -> list[dict[str, Any]]:
    ids = [hit.contract_id for hit in result.hits]
    contracts = {c.pk: c for c in load_contracts(ids)}
    keys = dict(SearchEntry.objects.filter(contract_id__in=ids).values_list("contract_id", "keys"))
    text_ids = [hit.contract_id for hit in result.hits if hit.tier == engine.TIER_TEXT]
    bodies = (
        dict(
            SearchEntry.objects.filter(contract_id__in=text_ids).values_list("contract_id", "body")
        )
        if text_ids and search_access.sees_full_text(user)
        else {}
    )
    items = []
    for hit in result.hits:
        contract = contracts.get(hit.contract_id)
        if contract is None:
            continue
        items.append(
            present_hit(
                user,
                contract,
                today=today,
                tier=hit.tier,
                matched_field=hit.matched_field,
                terms=result.terms,
                keys=keys.get(hit.contract_id, ""),
                body=bodies.get(hit.contract_id, ""),
            )
        )
    return items


def parse_int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("invalid", "Enter a whole number.", field=field) from None
