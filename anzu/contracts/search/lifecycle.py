"""The lifecycle board: contracts by where they stand on a business date.

Buckets (``today`` is the organization's business date):

- ``terminated`` — a termination date is set (whatever the end date);
- ``expired`` — the end date is before today and the contract is not terminated;
- ``within_30`` — ends today … today + 30 days (both inclusive);
- ``within_60`` — ends in 31 … 60 days; ``within_90`` — in 61 … 90 days;
- ``active`` — ends more than 90 days from today;
- ``undated`` — no end date read yet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from anzu.contracts.models import Contract
from anzu.contracts.search.choices import Bucket

BOARD_ORDER = (
    Bucket.WITHIN_30,
    Bucket.WITHIN_60,
    Bucket.WITHIN_90,
    Bucket.ACTIVE,
    Bucket.EXPIRED,
    Bucket.TERMINATED,
    Bucket.UNDATED,
)


def bucket_of(end: dt.date | None, terminated_on: dt.date | None, today: dt.date) -> str:
    if terminated_on is not None:
        return Bucket.TERMINATED.value
    if end is None:
        return Bucket.UNDATED.value
    days = (end - today).days
    if days < 0:
        return Bucket.EXPIRED.value
    if days <= 30:
        return Bucket.WITHIN_30.value
    if days <= 60:
        return Bucket.WITHIN_60.value
    if days <= 90:
        return Bucket.WITHIN_90.value
    return Bucket.ACTIVE.value


def bucket_q(bucket: str, today: dt.date) -> Q:
    """The filter of one bucket on Contract (or any model with end_date / terminated_on)."""
    live = Q(terminated_on__isnull=True)

    def within(low: int, high: int) -> Q:
        return live & Q(
            end_date__gte=today + dt.timedelta(days=low),
            end_date__lte=today + dt.timedelta(days=high),
        )

    if bucket == Bucket.TERMINATED:
        return Q(terminated_on__isnull=False)
    if bucket == Bucket.UNDATED:
        return live & Q(end_date__isnull=True)
    if bucket == Bucket.EXPIRED:
        return live & Q(end_date__lt=today)
    if bucket == Bucket.WITHIN_30:
        return within(0, 30)
    if bucket == Bucket.WITHIN_60:
        return within(31, 60)
    if bucket == Bucket.WITHIN_90:
        return within(61, 90)
    if bucket == Bucket.ACTIVE:
        return live & Q(end_date__gt=today + dt.timedelta(days=90))
    raise ValueError(bucket)


def board_counts(contracts: QuerySet[Contract], today: dt.date) -> dict[str, Any]:
    """Counts and shares per bucket in one query: ``{"total", "buckets": [{key, label, count,
    share}]}`` with shares as fractions of the total (0 when there are no contracts)."""
    aggregates = contracts.aggregate(
        total=Count("pk"), **{b.value: Count("pk", filter=bucket_q(b, today)) for b in BOARD_ORDER}
    )
    total = aggregates["total"] or 0
    rows = []
    for bucket in BOARD_ORDER:
        count = aggregates[bucket.value] or 0
        rows.append(
            {
                "key": bucket.value,
                "label": str(bucket.label),
                "count": count,
                "share": round(count / total, 4) if total else 0.0,
            }
        )
    return {"total": total, "today": today, "buckets": rows}


def bucket_contracts(contracts: QuerySet[Contract], bucket: str, today: dt.date) -> Any:
    """The contracts of one bucket, nearest end date first."""
    return contracts.filter(bucket_q(bucket, today)).order_by("end_date", "pk")
