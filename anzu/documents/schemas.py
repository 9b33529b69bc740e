"""Request and response schemas of the notice endpoints (built from the presenters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from anzu.common.api import InputSchema


class NoticeOut(Schema):
    id: int
    number: str
    kind: str
    kind_label: str
    lease_id: int
    lease_code: str
    customer_id: int
    customer_name: str
    issued_on: dt.date
    amount: Decimal | None
    amounts_hidden: bool
    template_id: int
    template_version: int
    document_id: int | None
    sha256: str
    download_url: str
    verify_url: str
    idempotency_key: str
    issued_by: str
    created_at: dt.datetime


class NoticeFilters(Schema):
    kind: str | None = None
    lease_id: int | None = None
    customer_id: int | None = None


class NoticeIssueIn(InputSchema):
    """Issue a notice by hand for all the lease's overdue open bills."""

    lease_id: int
    kind: str


class NoticeTemplateOut(Schema):
    id: int
    kind: str
    kind_label: str
    version: int
    status: str
    status_label: str
    title: str
    body: str
    consequences: str
    deadline_days: int
    placeholders: list[str]
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    retired_at: dt.datetime | None


class NoticeTemplateFilters(Schema):
    kind: str | None = None
    status: str | None = None


class NoticeTemplateIn(InputSchema):
    """A new draft version of ``kind`` (or changes to its current draft)."""

    kind: str
    title: str
    body: str
    consequences: str | None = None
    deadline_days: int | None = None


class NoticeTemplatePreviewIn(InputSchema):
    """Unsaved changes to preview; omitted fields come from the stored version."""

    title: str | None = None
    body: str | None = None
    consequences: str | None = None
    deadline_days: int | None = None


class PlaceholderOut(Schema):
    name: str
    label: str
