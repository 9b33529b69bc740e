"""Request and response schemas of the settlement API (responses built by the presenters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema

from anzu.common.api import InputSchema


class ItemIn(InputSchema):
    area: str
    item: str
    condition: str = "ok"
    damage_amount: Decimal | str | None = None
    note: str = ""


class ItemOut(Schema):
    id: int
    area: str
    item: str
    condition: str
    condition_label: str
    damage_amount: Decimal | None
    note: str


class CaseOut(Schema):
    id: int
    lease_id: int
    lease_code: str
    customer_id: int
    customer_name: str
    project_id: int
    building_id: int
    unit_id: int
    unit_label: str
    source: str
    source_label: str
    reason: str
    status: str
    status_label: str
    move_out_date: dt.date | None
    prepared_by: str | None
    prepared_at: dt.datetime | None
    approved_by: str | None
    approved_at: dt.datetime | None
    rejection_reason: str
    cancel_reason: str
    closed_at: dt.datetime | None
    statement_document_id: int | None
    still_owed: Decimal | None
    refund_to_tenant: Decimal | None
    version: int
    amounts_hidden: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class CaseDetailOut(CaseOut):
    items: list[ItemOut]
    statement: dict[str, Any] | None


class CaseFiltersIn(Schema):
    status: str | None = None
    source: str | None = None
    lease_id: int | None = None


class OpenIn(InputSchema):
    lease_id: int
    move_out_date: dt.date | None = None
    reason: str = ""


class InspectionIn(InputSchema):
    items: list[ItemIn]
    move_out_date: dt.date | None = None
    version: int | None = None


class VersionIn(InputSchema):
    version: int | None = None


class ReasonIn(InputSchema):
    reason: str = ""
    version: int | None = None


class CloseIn(InputSchema):
    refund_channel: str = ""
    refund_reference: str = ""
    version: int | None = None
