"""Request and response schemas of the leasing API (customers, leases, lease actions).

Responses are built by :mod:`anzu.leasing.presenters`, so a role sees exactly the fields the web
UI shows it: hidden amounts are ``null`` and personal data is masked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from anzu.common.api import InputSchema, OutputSchema
from anzu.leasing.choices import CustomerKind, DueDayRule, IdType, LeaseStatus

# Customers --------------------------------------------------------------------------------


class CustomerIn(InputSchema):
    kind: CustomerKind
    name: str
    id_type: IdType
    id_number: str
    phone: str = ""
    email: str = ""
    wechat_openid: str = ""
    notes: str = ""
    tags: list[str] = []
    project_id: int | None = None


class CustomerPatch(InputSchema):
    kind: CustomerKind | None = None
    name: str | None = None
    id_type: IdType | None = None
    id_number: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    project_id: int | None = None


class CustomerOut(OutputSchema):
    id: int
    kind: str
    name: str
    id_type: str
    id_number: str
    phone: str
    email: str
    wechat_openid: str
    tags: list[str]
    project_id: int | None
    notes: str
    masked: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerFilters(Schema):
    q: str | None = None
    kind: CustomerKind | None = None
    tag: str | None = None
    id_number: str | None = None


# Leases -----------------------------------------------------------------------------------


class PeriodIn(InputSchema):
    start: dt.date
    end: dt.date


class PeriodOut(OutputSchema):
    start: str
    end: str


class LeaseTerms(InputSchema):
    """Terms a draft lease may change (all optional for PATCH)."""

    start_date: dt.date | None = None
    end_date: dt.date | None = None
    monthly_rent: Decimal | None = None
    deposit_months: int | None = None
    pay_months: int | None = None
    deposit: Decimal | None = None
    due_day_rule: DueDayRule | None = None
    due_day_value: int | None = None
    rent_free_periods: list[PeriodIn] | None = None
    escalation_pct: Decimal | None = None
    escalation_every_months: int | None = None
    late_fee_daily_rate: Decimal | None = None
    late_fee_grace_days: int | None = None
    allows_access_freeze: bool | None = None
    notes: str | None = None


class LeaseIn(LeaseTerms):
    unit_id: int
    customer_id: int
    code: str = ""
    start_date: dt.date  # type: ignore[assignment]
    end_date: dt.date  # type: ignore[assignment]
    monthly_rent: Decimal  # type: ignore[assignment]
    deposit_months: int = 1  # type: ignore[assignment]
    pay_months: int = 1  # type: ignore[assignment]


class LeasePatch(LeaseTerms):
    version: int | None = None


class LeaseOut(OutputSchema):
    id: int
    code: str
    status: str
    project_id: int
    building_id: int
    unit_id: int
    unit_code: str
    customer_id: int
    customer_name: str
    start_date: dt.date
    end_date: dt.date
    occupied_until: dt.date
    payment_cycle: str
    deposit_months: int
    pay_months: int
    due_day_rule: str
    due_day_value: int
    rent_free_periods: list[PeriodOut]
    escalation_every_months: int | None
    late_fee_grace_days: int
    allows_access_freeze: bool
    terminated_on: dt.date | None
    termination_reason: str
    version: int
    activated_at: dt.datetime | None
    activated_by_id: int | None
    amounts_hidden: bool
    monthly_rent: Decimal | None
    deposit: Decimal | None
    escalation_pct: Decimal | None
    late_fee_daily_rate: Decimal | None
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class LeaseFilters(Schema):
    status: LeaseStatus | None = None
    project_id: int | None = None
    building_id: int | None = None
    unit_id: int | None = None
    customer_id: int | None = None
    start_from: dt.date | None = None
    start_to: dt.date | None = None
    end_from: dt.date | None = None
    end_to: dt.date | None = None
    q: str | None = None


class VersionIn(InputSchema):
    """Optional optimistic-lock check: the version the caller last saw."""

    version: int | None = None


class TerminateIn(VersionIn):
    on: dt.date
    reason: str


class VoidIn(VersionIn):
    reason: str
