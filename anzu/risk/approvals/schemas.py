"""Request and response bodies of /api/v1/approvals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from anzu.common.api import InputSchema, OutputSchema


class DiffRowOut(OutputSchema):
    field: str
    label: str
    before: Any = None
    after: Any = None


class DecisionOut(OutputSchema):
    checker: str
    decision: str
    decision_label: str
    reason: str
    at: dt.datetime
    void_reason: str


class ApprovalRequestOut(OutputSchema):
    id: int
    action: str
    action_label: str
    status: str
    status_label: str
    summary: str
    args: dict[str, Any]
    diff: list[DiffRowOut]
    amount: str | None = None
    precondition: str
    maker: str
    maker_id: int
    checkers_required: int
    checker_capability: str
    rule_version: int
    created_at: dt.datetime
    decided_at: dt.datetime | None = None
    executed_at: dt.datetime | None = None
    reason: str
    result: dict[str, Any]
    decisions: list[DecisionOut]
    can_decide: bool
    can_cancel: bool
    message: str


# A guarded action answered "submitted for approval" (HTTP 202) with the request.
ACCEPTED: dict[int, type[OutputSchema]] = {202: ApprovalRequestOut}


class ApprovalFilters(Schema):
    status: str | None = None
    action: str | None = None
    mine: bool = False
    pending_for_me: bool = False


class ReasonIn(InputSchema):
    reason: str = ""


class RuleOut(OutputSchema):
    id: int
    action: str
    action_label: str
    conditions: dict[str, Any]
    checkers_required: int
    checker_capability: str
    active: bool
    version: int
    updated_at: dt.datetime


class RulePatch(InputSchema):
    conditions: dict[str, Any] | None = None
    checkers_required: int | None = None
    checker_capability: str | None = None
    active: bool | None = None
