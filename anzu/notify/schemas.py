"""Request and response schemas of the notify API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema

StatusName = Literal["pending", "sending", "sent", "failed", "dead"]
ChannelName = Literal["in_app", "email", "sms", "wechat_template"]


class OutboxFilters(Schema):
    status: StatusName | None = None
    channel: ChannelName | None = None
    customer_id: int | None = None


class OutboxOut(Schema):
    id: int
    channel: str
    status: str
    customer_id: int | None
    user_id: int | None
    address: str
    template_code: str
    subject: str
    body: str
    idempotency_key: str
    attempts: int
    next_attempt_at: dt.datetime
    claimed_until: dt.datetime | None
    last_error: str
    provider: str
    provider_message_id: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class AttemptOut(Schema):
    number: int
    provider: str
    outcome: str
    provider_message_id: str
    error: str
    started_at: dt.datetime
    finished_at: dt.datetime


class OutboxDetailOut(OutboxOut):
    deliveries: list[AttemptOut]


class InboxFilters(Schema):
    unread: bool | None = None


class InboxOut(Schema):
    id: int
    subject: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None
