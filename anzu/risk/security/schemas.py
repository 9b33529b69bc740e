"""API shapes of the security overview."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from anzu.common.api import OutputSchema


class ReportFilters(Schema):
    since: str = ""
    until: str = ""
    reason: str = ""
    work_start: str = ""
    work_end: str = ""
    work_days: str = ""
    risk_hours: str = ""


class PeriodFilters(Schema):
    since: str = ""
    until: str = ""


class ReasonOut(OutputSchema):
    code: str
    label: str
    text: str
    detail: dict[str, Any]


class ShadowLeaseOut(OutputSchema):
    lease_id: int
    code: str
    unit: str
    status: str
    created_at: dt.datetime
    created_by: str
    activated_at: dt.datetime | None
    activated_by: str
    reasons: list[ReasonOut]


class SeriesOut(OutputSchema):
    kind: str
    label: str
    total: int
    counts: list[int]


class CheckpointOut(OutputSchema):
    size: int
    root: str
    created_at: dt.datetime
    signature_ok: bool
    note: str


class AuditStatusOut(OutputSchema):
    size: int
    root: str
    pending: int
    checkpoint: CheckpointOut | None
    vkey: str
    last_verification: dict[str, Any] | None


class DashboardOut(OutputSchema):
    since: dt.date
    until: dt.date
    days: list[dt.date]
    series: list[SeriesOut]
    total: int
    pending_approvals: int
    frozen_accounts: int
    audit: AuditStatusOut
