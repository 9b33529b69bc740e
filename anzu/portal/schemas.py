"""Request and response schemas of the portal API (tenant app / H5) and the provider callback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from anzu.billing.schemas import BillOut
from anzu.common.api import InputSchema, OutputSchema


class PortalBillOut(BillOut):
    overdue: bool
    days_overdue: int


class PortalBillFilters(Schema):
    lease_id: int | None = None
    status: str | None = None


class PaymentOrderIn(InputSchema):
    bill_ids: list[int] = []
    lease_id: int | None = None
    amount: Decimal


class PaymentOrderOut(OutputSchema):
    id: int
    out_trade_no: str
    lease_id: int
    bill_ids: list[int]
    amount: Decimal
    provider: str
    provider_label: str
    sandbox: bool
    status: str
    status_label: str
    checkout_kind: str
    checkout_value: str
    provider_transaction_id: str
    payment_id: int | None
    failure_reason: str
    created_at: dt.datetime
    expires_at: dt.datetime
    paid_at: dt.datetime | None


class NoticeOut(OutputSchema):
    id: int
    kind: str
    kind_label: str
    title: str
    lease_id: int
    signed: bool
    created_at: dt.datetime
    download_url: str


class InboxItemOut(OutputSchema):
    id: int
    subject: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class CallbackAck(OutputSchema):
    code: str
    message: str
