"""Request and response schemas of the KPI API.

Money, rates (percent, two decimals) and day averages are ``Decimal`` and go out as JSON
strings (``"1234.50"``, ``"12.34"``); money is ``null`` for a role that may not see amounts,
a rate or an average is ``null`` when there is nothing to divide by.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema


class CollectionFilters(Schema):
    as_of: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    project_id: int | None = None


class OverdueByAmountOut(Schema):
    due_amount: Decimal | None
    overdue_amount: Decimal | None
    rate: Decimal | None


class OverdueByLeaseOut(Schema):
    leases: int
    overdue_leases: int
    rate: Decimal | None


class DaysToCollectOut(Schema):
    bills: int
    mean: Decimal | None
    median: Decimal | None


class AgingBucketOut(Schema):
    bucket: str
    count: int
    amount: Decimal | None


class AgingOut(Schema):
    as_of: dt.date
    buckets: list[AgingBucketOut]
    overdue_total: Decimal | None
    overdue_count: int


class StageOut(Schema):
    stage: str
    name: str
    amount: Decimal | None
    bills: int
    allocations: int


class CollectionByStageOut(Schema):
    stages: list[StageOut]
    total: Decimal | None
    allocations: int


class TrendPointOut(Schema):
    month: str
    as_of: dt.date
    due_amount: Decimal | None
    overdue_amount: Decimal | None
    overdue_rate: Decimal | None
    collected: Decimal | None


class CollectionKpisOut(Schema):
    as_of: dt.date
    start: dt.date
    end: dt.date
    project_id: int | None
    amounts_hidden: bool
    overdue_by_amount: OverdueByAmountOut
    overdue_by_lease: OverdueByLeaseOut
    days_to_collect: DaysToCollectOut
    aging: AgingOut
    collection_by_stage: CollectionByStageOut
    trend: list[TrendPointOut]
