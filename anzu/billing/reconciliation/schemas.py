"""Request and response schemas of the reconciliation API (built from the presenters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from anzu.common.api import InputSchema


class StatementCountsOut(Schema):
    lines: int
    matched: int
    review: int
    duplicates: int
    ignored: int


class StatementOut(Schema):
    id: int
    file_name: str
    sha256: str
    format: str
    format_label: str
    account: str
    uploaded_by: str | None
    created_at: dt.datetime
    counts: StatementCountsOut


class StatementCreatedOut(StatementOut):
    created: bool


class CandidateOut(Schema):
    lease_id: int | None
    lease_code: str | None
    unit: str | None
    customer_id: int | None
    customer_name: str | None
    method: str
    score: int
    reasons: list[str]


class StatementLineOut(Schema):
    id: int
    statement_id: int
    line_number: int
    booking_date: dt.date
    value_date: dt.date | None
    amount: Decimal | None
    direction: str
    direction_label: str
    currency: str
    bank_reference: str
    payer_name: str
    payer_account: str
    memo: str
    status: str
    status_label: str
    match_method: str
    match_method_label: str
    match_score: int
    reasons: list[str]
    candidates: list[CandidateOut]
    lease_id: int | None
    lease_code: str | None
    customer_id: int | None
    customer_name: str | None
    payment_id: int | None
    note: str
    resolved_at: dt.datetime | None
    amounts_hidden: bool


class LineFilters(Schema):
    status: str | None = None


class AssignIn(InputSchema):
    lease_id: int | None = None
    lease_code: str = ""
    customer_id: int | None = None
    note: str = ""


class IgnoreIn(InputSchema):
    reason: str
