"""Request and response schemas of the billing API.

Responses are built by :mod:`anzu.billing.presenters`: amounts are ``null`` for roles that may
not see them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from anzu.common.api import InputSchema


class BillOut(Schema):
    id: int
    lease_id: int
    customer_id: int
    project_id: int
    building_id: int
    unit_id: int
    kind: str
    kind_label: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date
    status: str
    status_label: str
    description: str
    source_bill_id: int | None
    amount: Decimal | None
    paid_amount: Decimal | None
    outstanding: Decimal | None
    amounts_hidden: bool


class BillFilters(Schema):
    lease_id: int | None = None
    customer_id: int | None = None
    project_id: int | None = None
    building_id: int | None = None
    status: str | None = None
    kind: str | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None


class ChargeIn(InputSchema):
    lease_id: int
    kind: str
    amount: Decimal
    due_date: dt.date
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    description: str = ""


class PaymentIn(InputSchema):
    lease_id: int | None = None
    customer_id: int | None = None
    channel: str
    amount: Decimal
    received_at: dt.datetime | dt.date | None = None
    reference: str = ""
    payer_name: str = ""
    note: str = ""


class AllocationOut(Schema):
    id: int
    payment_id: int
    bill_id: int
    amount: Decimal | None


class PaymentOut(Schema):
    id: int
    customer_id: int
    lease_id: int | None
    channel: str
    channel_label: str
    received_at: dt.datetime
    reference: str
    payer_name: str
    note: str
    amount: Decimal | None
    unallocated: Decimal | None
    amounts_hidden: bool


class PaymentCreatedOut(PaymentOut):
    allocations: list[AllocationOut]


class PaymentFilters(Schema):
    lease_id: int | None = None
    customer_id: int | None = None
    channel: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    reference: str | None = None


class DepositEntryOut(Schema):
    id: int
    kind: str
    kind_label: str
    amount: Decimal | None
    bill_id: int | None
    payment_id: int | None
    refund_id: int | None
    created_at: dt.datetime


class RefundOut(Schema):
    id: int
    kind: str
    kind_label: str
    payment_id: int | None
    amount: Decimal | None
    channel: str
    reference: str
    reason: str
    created_at: dt.datetime


class DepositRefundIn(InputSchema):
    channel: str
    amount: Decimal | None = None
    reference: str = ""
    reason: str = ""


class CreditRefundIn(InputSchema):
    amount: Decimal
    channel: str
    reference: str = ""
    reason: str = ""


class WriteOffIn(InputSchema):
    reason: str


class LedgerOut(Schema):
    lease_id: int
    lease_code: str
    amounts_hidden: bool
    outstanding: Decimal | None
    credit: Decimal | None
    balance: Decimal | None
    deposit_held: Decimal | None
    bills: list[BillOut]
    payments: list[PaymentOut]
    allocations: list[AllocationOut]
    refunds: list[RefundOut]
    deposit_entries: list[DepositEntryOut]


class AgingBucketOut(Schema):
    bucket: str
    count: int
    amount: Decimal | None


class AgingOut(Schema):
    as_of: dt.date
    buckets: list[AgingBucketOut]
    overdue_total: Decimal | None
    amounts_hidden: bool


class AgingFilters(Schema):
    project_id: int | None = None
    building_id: int | None = None
    customer_id: int | None = None
    kind: str | None = None
