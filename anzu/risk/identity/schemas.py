"""Request and response schemas of the account lifecycle API."""

from __future__ import annotations

import datetime as dt

from ninja import Schema

from anzu.common.api import InputSchema, OutputSchema


class AccountOut(OutputSchema):
    id: int
    username: str
    display_name: str
    email: str
    is_active: bool
    status: str
    frozen_at: dt.datetime | None
    frozen_source: str
    frozen_reason: str
    password_reset_required: bool
    service_account: bool
    employee_id: str
    last_activity: dt.datetime | None
    last_login: dt.datetime | None


class AccountFilters(Schema):
    status: str = ""


class ReasonIn(InputSchema):
    reason: str


class ProfileIn(InputSchema):
    employee_id: str = ""
    service_account: bool = False


class ReactivatedOut(OutputSchema):
    account: AccountOut
    reset_token: str
    reset_url: str
    reset_expires_at: dt.datetime


class AccountEventOut(OutputSchema):
    id: int
    kind: str
    source: str
    reason: str
    at: dt.datetime
    by_id: int | None
    external_id: str
    data: dict[str, object]


class HrResultOut(OutputSchema):
    status: str
    event_id: str
    user_id: int
    username: str
    effective_at: dt.datetime
    account_status: str
    frozen_at: dt.datetime | None
