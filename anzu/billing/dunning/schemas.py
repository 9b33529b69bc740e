"""Request and response schemas of the dunning API.

Responses are built by :mod:`anzu.billing.dunning.presenters`: amounts are ``null`` for roles
that may not see them, customer phones masked without ``pii.view``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from anzu.common.api import InputSchema, OutputSchema


class CustomerBriefOut(OutputSchema):
    id: int
    name: str
    phone: str
    tags: list[str]
    masked: bool


class CaseOut(OutputSchema):
    lease_id: int
    lease_code: str
    customer: CustomerBriefOut
    project_id: int
    unit: str
    due_date: dt.date
    amount: Decimal | None
    stage: str
    stage_name: str
    next_stage: str
    next_stage_name: str
    next_date: dt.date | None
    pending_actions: int
    failed_actions: int
    amounts_hidden: bool


class StageCountOut(OutputSchema):
    code: str
    name: str
    offset_days: int | None
    required: bool
    count: int


class CasePageOut(OutputSchema):
    policy_version: int
    counts: list[StageCountOut]
    items: list[CaseOut]
    page: int
    page_size: int
    total: int


class CaseFilters(Schema):
    stage: str | None = None
    project_id: int | None = None


class ActionOut(OutputSchema):
    id: int
    lease_id: int
    lease_code: str
    stage: str
    kind: str
    kind_label: str
    due_date: dt.date
    amount: Decimal | None
    status: str
    status_label: str
    attempts: int
    next_attempt_at: dt.datetime | None
    result: dict[str, Any]
    error: str
    created_on: dt.date
    executed_at: dt.datetime | None
    amounts_hidden: bool


class ActionFilters(Schema):
    status: str | None = None
    lease_id: int | None = None


class RunIn(InputSchema):
    date: dt.date | None = None
    dry_run: bool = False


class RunOut(OutputSchema):
    date: dt.date
    dry_run: bool
    evaluated_bills: int
    evaluated_leases: int
    actions_created: int
    by_stage: dict[str, int]


class PolicyVersionOut(OutputSchema):
    id: int
    number: int
    name: str
    status: str
    status_label: str
    exempt_tags: list[str]
    catch_up_days: int
    notes: str
    created_at: dt.datetime
    created_by: str
    published_at: dt.datetime | None
    published_by: str
    stages: list[dict[str, Any]] | None = None


class PolicyDraftIn(InputSchema):
    name: str | None = None
    stages: Any = None
    exempt_tags: Any = None
    catch_up_days: Any = 60
    notes: str = ""


class BacktestIn(InputSchema):
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")


class BacktestDayOut(OutputSchema):
    date: dt.date
    by_stage: dict[str, int]


class BacktestSampleOut(OutputSchema):
    date: dt.date
    lease_id: int
    lease_code: str
    stage: str
    due_date: dt.date | None = None
    amount: Decimal | None


class BacktestOut(OutputSchema):
    policy_version: int
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    days: int
    actions: int
    by_stage: dict[str, int]
    by_day: list[BacktestDayOut]
    sample: list[BacktestSampleOut]


class CallOut(OutputSchema):
    id: int
    lease_id: int
    lease_code: str
    customer: CustomerBriefOut
    stage: str
    due_date: dt.date
    amount: Decimal | None
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    note: str
    assigned_to_id: int | None
    assigned_to: str
    completed_by: str
    completed_at: dt.datetime | None
    created_at: dt.datetime
    amounts_hidden: bool


class CallFilters(Schema):
    show: str = "all"
    status: str | None = None


class CallOutcomeIn(InputSchema):
    outcome: str
    note: str = ""
    promise_amount: Decimal | None = None
    promised_date: dt.date | None = None


class PromiseIn(InputSchema):
    amount: Decimal
    promised_date: dt.date
    note: str = ""


class PromiseOut(OutputSchema):
    id: int
    lease_id: int
    amount: Decimal | None
    made_on: dt.date
    promised_date: dt.date
    note: str
    call_task_id: int | None
    state: str
    cancelled_at: dt.datetime | None
    amounts_hidden: bool


class PauseIn(InputSchema):
    start: dt.date
    end: dt.date
    reason: str


class PauseOut(OutputSchema):
    id: int
    lease_id: int
    start: dt.date
    end: dt.date
    reason: str
    cancelled_at: dt.datetime | None
    created_by: str


class ExemptionIn(InputSchema):
    exempt: bool
    reason: str = ""


class ExemptionOut(OutputSchema):
    customer_id: int
    exempt: bool
    tags: list[str]


class FreezeOut(OutputSchema):
    id: int
    lease_id: int
    lease_code: str
    customer: CustomerBriefOut
    kind: str
    kind_label: str
    amount: Decimal | None
    status: str
    status_label: str
    decided_by: str
    decided_at: dt.datetime | None
    reason: str
    lifted_at: dt.datetime | None
    created_at: dt.datetime
    amounts_hidden: bool


class FreezeFilters(Schema):
    status: str | None = None


class ReasonIn(InputSchema):
    reason: str = ""
