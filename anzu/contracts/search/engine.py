"""Contract search: candidates from the database, ranking and paging in Python.

A query is split into terms (spaces); every term must occur in the contract. Three passes, each
capped (:data:`KEY_CAP`, :data:`TEXT_CAP` rows) so a very common word stays fast:

1. **key fields** — every term in the key fields (title, lessor, lessee, address, lease number,
   unit): PostgreSQL narrows by ``key_grams @> grams``, SQLite by its FTS5 trigram table (terms
   of three or more characters); the exact substring then decides;
2. **full text** (callers with ``contract.full`` only) — every term in the key fields or the
   text, by ``grams @> grams`` / FTS5;
3. **typo-tolerant** (Latin words of three or more letters, only when the first two found
   fewer than a page) — pg_trgm's ``<%`` on the key fields, or FTS5 trigrams on SQLite,
   ranked by trigram word similarity.

Ranking: key-field hits first (a whole-field or leading match and the stronger fields weigh
more), then full-text hits, then typo-tolerant ones; ties by nearest end date, then newest.
When a pass reaches the cap, ``total`` is a lower bound and ``total_capped`` is set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from anzu.common import clock
from anzu.common.errors import ValidationFailed
from anzu.contracts.choices import ContractStatus, RiskLevel
from anzu.contracts.search import access as search_access
from anzu.contracts.search import indexing
from anzu.contracts.search.indexing import KEY_FIELD_NAMES
from anzu.contracts.search.models import SearchEntry
from anzu.contracts.search.text import (
    FIELD_SEPARATOR,
    gram_key,
    needs_single_cjk,
    query_grams,
    searchable,
    split_terms,
    word_similarity,
)
from anzu.core import access

# Candidates looked at per pass: a very common term stops there (``total_capped``).
KEY_CAP = 300
TEXT_CAP = 200
MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
FUZZY_MIN_SIMILARITY = 0.4
# pg_trgm's word-similarity cut-off for the typo-tolerant candidates (its default is 0.6).
PG_WORD_SIMILARITY = 0.5
# Weight of a hit per key field (title, lessor, lessee, address, lease number, unit).
FIELD_WEIGHTS = dict(zip(KEY_FIELD_NAMES, (4, 3, 3, 2, 4, 2), strict=True))

TIER_KEYS, TIER_TEXT, TIER_FUZZY = "keys", "text", "fuzzy"
_TIER_ORDER = {TIER_KEYS: 0, TIER_TEXT: 1, TIER_FUZZY: 2}


@dataclass
class Filters:
    project_id: int | None = None
    status: str | None = None
    risk_level: str | None = None
    rent_min: Decimal | None = None
    rent_max: Decimal | None = None
    expiring_within_days: int | None = None


@dataclass
class Hit:
    contract_id: int
    tier: str
    score: float
    end_date: dt.date | None
    matched_field: str = ""


@dataclass
class SearchResult:
    hits: list[Hit]
    page: int
    page_size: int
    total: int
    total_capped: bool
    terms: list[str] = field(default_factory=list)


def clean_filters(user: Any, filters: Filters) -> Filters:
    """Check the filters (errors name the field); rent filters need ``amounts.view``."""
    if filters.status and filters.status not in ContractStatus.values:
        raise ValidationFailed("invalid_choice", "Unknown status.", field="status")
    if filters.risk_level and filters.risk_level not in RiskLevel.values:
        raise ValidationFailed("invalid_choice", "Unknown risk level.", field="risk_level")
    for name in ("rent_min", "rent_max"):
        value = getattr(filters, name)
        if value is None:
            continue
        if not access.sees_amounts(user):
            raise ValidationFailed("forbidden_filter", "You may not filter by amounts.", field=name)
        if value < 0:
            raise ValidationFailed("too_small", "Amounts cannot be negative.", field=name)
    if (
        filters.rent_min is not None
        and filters.rent_max is not None
        and filters.rent_max < filters.rent_min
    ):
        raise ValidationFailed(
            "invalid", "The maximum rent is below the minimum rent.", field="rent_max"
        )
    days = filters.expiring_within_days
    if days is not None and not 0 <= days <= 3650:
        raise ValidationFailed(
            "invalid", "The expiry window is 0 to 3650 days.", field="expiring_within_days"
        )
    return filters


def clean_query(query: str) -> list[str]:
    if len(query or "") > MAX_QUERY_LENGTH:
        raise ValidationFailed("too_long", f"At most {MAX_QUERY_LENGTH} characters.", field="q")
    terms = split_terms(query or "")
    if len(terms) > MAX_TERMS:
        raise ValidationFailed("too_long", f"At most {MAX_TERMS} words.", field="q")
    if terms and not any(searchable(t) for t in terms):
        raise ValidationFailed(
            "too_short",
            "Search for at least one Chinese character or two letters or digits.",
            field="q",
        )
    return terms


def filtered_entries(user: Any, filters: Filters) -> QuerySet[SearchEntry]:
    qs = search_access.entries_for_user(user)
    if filters.project_id is not None:
        qs = qs.filter(project_id=filters.project_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.risk_level:
        qs = qs.filter(risk_level=filters.risk_level)
    if filters.rent_min is not None:
        qs = qs.filter(monthly_rent__gte=filters.rent_min)
    if filters.rent_max is not None:
        qs = qs.filter(monthly_rent__lte=filters.rent_max)
    if filters.expiring_within_days is not None:
        today = clock.today()
        qs = qs.filter(
            terminated_on__isnull=True,
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=filters.expiring_within_days),
        )
    return qs


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _contains_all(qs: QuerySet[SearchEntry], terms: list[str], *, keys_only: bool) -> Any:
    for term in terms:
        if keys_only:
            qs = qs.filter(keys__contains=term)
        else:
            qs = qs.filter(Q(keys__contains=term) | Q(body__contains=term))
    return qs


def _candidates(qs: QuerySet[SearchEntry], limit: int) -> list[tuple[int, str, Any]]:
    return list(qs.order_by().values_list("contract_id", "keys", "end_date")[:limit])


def _token_conditions(column: str, filters: Filters) -> tuple[list[str], list[Any]]:
    """Filter tokens (see :mod:`~anzu.contracts.search.indexing`) the GIN scan can apply too:
    the project and risk level (``@>``), any one of the months of an expiry window or the
    bands of a rent range (``&&``). The exact filters are applied as well."""
    required: list[int] = []
    if filters.project_id is not None:
        required.append(indexing.project_token(filters.project_id))
    if filters.risk_level:
        required.append(indexing.risk_token(filters.risk_level))
    where: list[str] = []
    params: list[Any] = []
    if required:
        where.append(f"{column} @> %s::int4[]")
        params.append(sorted(set(required)))
    days = filters.expiring_within_days
    if days is not None and days <= 730:
        start = clock.today()
        end = start + dt.timedelta(days=days)
        months = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            months.append(indexing.month_token(year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        where.append(f"{column} && %s::int4[]")
        params.append(sorted(set(months)))
    if filters.rent_min is not None or filters.rent_max is not None:
        low = int((filters.rent_min or 0) // indexing.RENT_BAND)
        high = (
            int(filters.rent_max // indexing.RENT_BAND)
            if filters.rent_max is not None
            else indexing.MAX_RENT_BAND
        )
        low, high = min(low, indexing.MAX_RENT_BAND), min(high, indexing.MAX_RENT_BAND)
        if high - low < 40:
            bands = [indexing.rent_token(b) for b in range(low, high + 1)]
            where.append(f"{column} && %s::int4[]")
            params.append(sorted(set(bands)))
    return where, params


def _key_pass(
    base: QuerySet[SearchEntry], terms: list[str], filters: Filters
) -> list[tuple[int, str, Any]]:
    qs = base
    if connection.vendor == "postgresql":
        grams = sorted({gram_key(g) for t in terms for g in query_grams(t)})
        if grams:
            qs = qs.extra(where=["key_grams @> %s::int4[]"], params=[grams])
        where, params = _token_conditions("key_grams", filters)
        if where:
            qs = qs.extra(where=where, params=params)
    else:
        long_terms = [t for t in terms if len(t) >= 3]
        if long_terms:
            match = " AND ".join(f"keys : {_fts_phrase(t)}" for t in long_terms)
            qs = qs.extra(
                where=[
                    "contract_search_searchentry.contract_id IN (SELECT rowid FROM "
                    "contract_search_fts WHERE contract_search_fts MATCH %s)"
                ],
                params=[match],
            )
    return _candidates(_contains_all(qs, terms, keys_only=True), KEY_CAP)


def _text_pass(
    base: QuerySet[SearchEntry], terms: list[str], limit: int, filters: Filters
) -> list[tuple[int, str, Any]]:
    qs = base
    if connection.vendor == "postgresql":
        indexed = [t for t in terms if not needs_single_cjk(t)]
        grams = sorted({gram_key(g) for t in indexed for g in query_grams(t)})
        if not grams:
            return []  # lone CJK characters are looked up in the key fields only
        qs = qs.extra(where=["grams @> %s::int4[]"], params=[grams])
        where, params = _token_conditions("grams", filters)
        if where:
            qs = qs.extra(where=where, params=params)
    else:
        long_terms = [t for t in terms if len(t) >= 3]
        if not long_terms:
            if all(needs_single_cjk(t) for t in terms):
                return []
        else:
            match = " AND ".join(_fts_phrase(t) for t in long_terms)
            qs = qs.extra(
                where=[
                    "contract_search_searchentry.contract_id IN (SELECT rowid FROM "
                    "contract_search_fts WHERE contract_search_fts MATCH %s)"
                ],
                params=[match],
            )
    return _candidates(_contains_all(qs, terms, keys_only=False), limit)


def _fuzzy_pass(base: QuerySet[SearchEntry], terms: list[str]) -> list[tuple[int, str, Any]]:
    # Words of letters only: lease numbers and other codes are matched exactly.
    latin = [t for t in terms if t.isascii() and t.isalpha() and len(t) >= 3]
    if not latin or len(latin) != len(terms):
        return []
    qs = base
    if connection.vendor == "postgresql":
        for term in latin:
            qs = qs.extra(where=["%s <%% keys"], params=[term])
    else:
        parts = []
        for term in latin:
            grams = sorted({term[i : i + 3] for i in range(len(term) - 2)})
            parts.append("keys : (" + " OR ".join(_fts_phrase(g) for g in grams) + ")")
        qs = qs.extra(
            where=[
                "contract_search_searchentry.contract_id IN (SELECT rowid FROM "
                "contract_search_fts WHERE contract_search_fts MATCH %s)"
            ],
            params=[" AND ".join(parts)],
        )
    return _candidates(qs, KEY_CAP)


def _key_score(keys: str, terms: list[str]) -> tuple[float, str]:
    fields = keys.split(FIELD_SEPARATOR)
    score = 0.0
    first_field = ""
    for term in terms:
        best = 0.0
        for name, value in zip(KEY_FIELD_NAMES, fields, strict=False):
            if term not in value:
                continue
            weight = float(FIELD_WEIGHTS[name])
            if value == term:
                weight += 2
            elif value.startswith(term):
                weight += 1
            if weight > best:
                best = weight
                if not first_field:
                    first_field = name
        score += best
    return score, first_field


def _order_key(hit: Hit) -> tuple[Any, ...]:
    return (
        _TIER_ORDER[hit.tier],
        -hit.score,
        hit.end_date or dt.date.max,
        -hit.contract_id,
    )


def search(
    user: Any,
    *,
    query: str,
    filters: Filters | None = None,
    page: int = 1,
    page_size: int = 20,
) -> SearchResult:
    """One page of the contracts the user may see that match ``query`` and ``filters``."""
    if page < 1:
        raise ValidationFailed("invalid", "Page numbers start at 1.", field="page")
    if not 1 <= page_size <= 100:
        raise ValidationFailed("invalid", "Page size must be between 1 and 100.", field="page_size")
    search_access.require_view(user)
    filters = clean_filters(user, filters or Filters())
    terms = clean_query(query)
    base = filtered_entries(user, filters)
    offset = (page - 1) * page_size
    if not terms:
        ordered = base.order_by("end_date", "-contract_id")
        total = ordered.count()
        rows = list(ordered.values_list("contract_id", "end_date")[offset : offset + page_size])
        return SearchResult(
            hits=[Hit(pk, TIER_KEYS, 0.0, end) for pk, end in rows],
            page=page,
            page_size=page_size,
            total=total,
            total_capped=False,
            terms=[],
        )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Short LIMIT queries: JIT compilation and parallel workers cost more than they
                # save (the planner cannot know a common term fills the limit at once).
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                cursor.execute(
                    f"SET LOCAL pg_trgm.word_similarity_threshold = {PG_WORD_SIMILARITY}"
                )
        hits, capped = _collect(user, base, terms, page_size, filters)
    ordered_hits = sorted(hits.values(), key=_order_key)
    return SearchResult(
        hits=ordered_hits[offset : offset + page_size],
        page=page,
        page_size=page_size,
        total=len(ordered_hits),
        total_capped=capped,
        terms=terms,
    )


def _collect(
    user: Any, base: QuerySet[SearchEntry], terms: list[str], page_size: int, filters: Filters
) -> tuple[dict[int, Hit], bool]:
    hits: dict[int, Hit] = {}
    capped = False
    key_rows = _key_pass(base, terms, filters)
    capped |= len(key_rows) >= KEY_CAP
    for pk, keys, end in key_rows:
        score, matched = _key_score(keys, terms)
        hits[pk] = Hit(pk, TIER_KEYS, score, end, matched)
    if search_access.sees_full_text(user) and not capped:
        text_rows = _text_pass(base, terms, TEXT_CAP + len(hits), filters)
        capped |= len(text_rows) >= TEXT_CAP + len(hits)
        for pk, keys, end in text_rows:
            if pk not in hits:
                score, _matched = _key_score(keys, terms)
                hits[pk] = Hit(pk, TIER_TEXT, score, end, "text")
    if len(hits) < page_size:
        for pk, keys, end in _fuzzy_pass(base, terms):
            if pk in hits:
                continue
            similarity = min(word_similarity(t, keys) for t in terms)
            if similarity >= FUZZY_MIN_SIMILARITY:
                hits[pk] = Hit(pk, TIER_FUZZY, similarity, end, "fuzzy")
    return hits, capped
