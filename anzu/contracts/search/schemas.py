"""Request and response bodies of the contract board and contract search API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from anzu.common.api import InputSchema, OutputSchema


class BucketOut(OutputSchema):
    key: str
    label: str
    count: int
    share: float


class BoardOut(OutputSchema):
    today: dt.date
    total: int
    buckets: list[BucketOut]


class BoardQuery(Schema):
    project_id: int | None = None


class RenewalOut(OutputSchema):
    state: str
    state_label: str
    note: str
    renewal_lease_id: int | None
    renewal_approval_id: int | None
    version: int
    updated_by: str
    updated_at: dt.datetime


class ContractSummaryOut(OutputSchema):
    """The fields a contract row shows, on the board and in search results."""

    id: int
    title: str
    status: str
    project_id: int | None
    project_name: str
    unit_id: int | None
    unit_code: str
    lease_id: int | None
    lease_code: str
    lessor_name: str
    lessee_name: str
    address: str
    start_date: dt.date | None
    end_date: dt.date | None
    terminated_on: dt.date | None
    days_left: int | None
    bucket: str
    monthly_rent: Decimal | None
    risk_level: str
    risk_level_label: str


class ContractRowOut(ContractSummaryOut):
    renewal: RenewalOut | None


class RenewalIn(InputSchema):
    state: str
    note: str = ""
    version: int | None = None


class CalendarTokenOut(OutputSchema):
    token: str
    url: str


class SnippetOut(OutputSchema):
    text: str
    hit: bool


class HitOut(ContractSummaryOut):
    match: str
    matched_field: str
    snippet: list[SnippetOut]


class SearchPageOut(OutputSchema):
    items: list[HitOut]
    page: int
    page_size: int
    total: int
    total_capped: bool
    terms: list[str]


class SearchQuery(Schema):
    q: str = ""
    project_id: int | None = None
    status: str | None = None
    risk_level: str | None = None
    rent_min: Decimal | None = None
    rent_max: Decimal | None = None
    expiring_within_days: int | None = None
    page: int = 1
    page_size: int = 20
