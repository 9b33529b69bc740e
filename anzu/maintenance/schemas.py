"""Request and response schemas of the work-order API (responses come from the presenters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from anzu.common.api import InputSchema


class TicketIn(InputSchema):
    unit_id: int
    category_code: str
    description: str
    urgency: str = "normal"
    channel: str | None = None
    reporter_customer_id: int | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    equipment_id: int | None = None


class TicketFiltersIn(Schema):
    status: str | None = None
    project_id: int | None = None
    building_id: int | None = None
    unit_id: int | None = None
    category: str | None = None
    urgency: str | None = None
    engineer_id: int | None = None
    number: str | None = None


class TicketOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    urgency: str
    urgency_label: str
    channel: str
    channel_label: str
    category_code: str
    category_name: str
    project_id: int
    building_id: int
    unit_id: int
    unit_label: str
    description: str
    reporter_name: str
    reporter_phone: str
    assigned_engineer_id: int | None
    assigned_engineer_name: str | None
    reported_at: dt.datetime
    first_response_at: dt.datetime | None
    on_site_at: dt.datetime | None
    completed_at: dt.datetime | None
    verified_at: dt.datetime | None
    auto_verify_at: dt.datetime | None
    repeat_of_id: int | None
    repeat_of_number: str | None
    version: int


class EventOut(Schema):
    id: int
    kind: str
    from_status: str
    to_status: str
    to_status_label: str
    at: dt.datetime
    actor: str | None
    note: str
    data: dict[str, Any]


class PhotoOut(Schema):
    id: int
    stage: str
    content_type: str
    size: int
    width: int
    height: int
    sha256: str


class CandidateOut(Schema):
    engineer_id: int | None
    engineer_name: str
    eligible: bool
    score: float
    distance_km: float | None
    reasons: list[dict[str, str]]
    components: dict[str, float]


class AssignmentOut(Schema):
    id: int
    engineer_id: int
    engineer_name: str
    method: str
    method_label: str
    status: str
    status_label: str
    by: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str
    candidates: list[CandidateOut]


class ClockOut(Schema):
    kind: str
    kind_label: str
    target_seconds: int
    elapsed_seconds: int
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    due_at: dt.datetime
    breached: bool
    warned: bool
    running: bool
    policy_version: int
    paused_segments: list[list[str]]


class RatingOut(Schema):
    score: int
    tags: list[str]
    comment: str
    at: dt.datetime


class TicketDetailOut(TicketOut):
    timeline: list[EventOut]
    photos: list[PhotoOut]
    assignments: list[AssignmentOut]
    clocks: list[ClockOut]
    rating: RatingOut | None


class TransitionIn(InputSchema):
    to: str
    note: str = ""


class AssignIn(InputSchema):
    engineer_id: int
    reason: str


class DeclineIn(InputSchema):
    reason: str


class RatingIn(InputSchema):
    score: int
    tags: list[str] = []
    comment: str = ""


class AssignmentResultOut(Schema):
    id: int
    ticket_id: int
    engineer_id: int
    status: str
    method: str
    reason: str


class BacklogOut(Schema):
    assigned: list[dict[str, int | None]]


class ReviewCaseOut(Schema):
    id: int
    ticket_id: int
    ticket_number: str
    score: int | None
    tags: list[str]
    comment: str
    status: str
    root_cause: str
    note: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None


class ReviewCloseIn(InputSchema):
    root_cause: str
    note: str = ""


# SLA policies and business calendars ------------------------------------------------------------


class SlaPolicyIn(InputSchema):
    category: str | None = None
    urgency: str = ""
    first_response_minutes: int
    on_site_minutes: int
    resolution_minutes: int
    calendar_id: int
    auto_verify_hours: int = 72
    reopen_days: int = 7
    pause_states: list[str] = []


class SlaPolicyPatchIn(InputSchema):
    first_response_minutes: int | None = None
    on_site_minutes: int | None = None
    resolution_minutes: int | None = None
    calendar_id: int | None = None
    auto_verify_hours: int | None = None
    reopen_days: int | None = None
    pause_states: list[str] | None = None


class SlaPolicyOut(Schema):
    id: int
    category: str | None
    category_name: str | None
    urgency: str
    urgency_label: str | None
    first_response_minutes: int
    on_site_minutes: int
    resolution_minutes: int
    auto_verify_hours: int
    reopen_days: int
    calendar_id: int
    calendar_name: str
    pause_states: list[str]
    version: int
    is_active: bool


class CalendarIn(InputSchema):
    name: str
    tz: str = "Asia/Shanghai"
    always: bool = False
    windows: dict[str, list[Any]] = {}
    holidays: list[str] = []
    workdays: list[str] = []


class CalendarPatchIn(InputSchema):
    name: str | None = None
    always: bool | None = None
    windows: dict[str, list[Any]] | None = None
    holidays: list[str] | None = None
    workdays: list[str] | None = None


class CalendarOut(Schema):
    id: int
    name: str
    tz: str
    always: bool
    windows: dict[str, list[str]]
    holidays: list[str]
    workdays: list[str]
