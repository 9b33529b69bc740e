"""REST endpoints for bills, charges, payments, lease ledgers and receivables aging.

Mounted by the API aggregator at ``/api/v1``. Handlers are thin: objects come from the access
helpers, writes go through :mod:`anzu.billing.services`, responses through the presenters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from anzu.billing import access as billing_access
from anzu.billing import selectors, services
from anzu.billing.models import Allocation
from anzu.billing.presenters import present_allocation, present_bill, present_payment
from anzu.billing.schemas import (
    AgingFilters,
    AgingOut,
    BillFilters,
    BillOut,
    ChargeIn,
    CreditRefundIn,
    DepositRefundIn,
    LedgerOut,
    PaymentCreatedOut,
    PaymentFilters,
    PaymentIn,
    PaymentOut,
    RefundOut,
    WriteOffIn,
)
from anzu.common import clock
from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.core import access
from anzu.risk.approvals.schemas import ACCEPTED
from anzu.risk.approvals.web import accepted, is_request

router = Router(tags=["billing"])


@router.get("/bills", response={200: PageOut[BillOut], **ERRORS})
def bill_list(request: HttpRequest, filters: Query[BillFilters], paging: Query[PageParams]) -> Any:
    user = caller(request)
    qs = selectors.bill_search(
        user,
        selectors.ReceivableFilters(
            lease_id=filters.lease_id,
            customer_id=filters.customer_id,
            project_id=filters.project_id,
            building_id=filters.building_id,
            kind=filters.kind or "",
            status=filters.status or "",
            due_from=filters.due_from,
            due_to=filters.due_to,
        ),
        today=clock.today(),
    )
    show = billing_access.sees_amounts(user)
    return page_of(qs, params=paging, present=lambda b: present_bill(user, b, show=show))


@router.get("/bills/{int:bill_id}", response={200: BillOut, **ERRORS})
def bill_detail(request: HttpRequest, bill_id: int) -> Any:
    user = caller(request)
    return present_bill(user, billing_access.bill_for_user(user, bill_id))


@router.post("/charges", response={201: BillOut, **ERRORS})
def charge_create(request: HttpRequest, payload: ChargeIn) -> Any:
    user = caller(request)
    bill = services.charge_create(by=user, **payload.model_dump())
    return Status(201, present_bill(user, bill))


@router.post("/payments", response={201: PaymentCreatedOut, **ERRORS})
def payment_create(request: HttpRequest, payload: PaymentIn) -> Any:
    user = caller(request)
    payment = services.payment_record(by=user, **payload.model_dump())
    payment.refresh_from_db()
    show = billing_access.sees_amounts(user)
    data = present_payment(user, payment, show=show)
    data["allocations"] = [
        present_allocation(show, a) for a in Allocation.objects.filter(payment=payment)
    ]
    return Status(201, data)


@router.get("/payments", response={200: PageOut[PaymentOut], **ERRORS})
def payment_list(
    request: HttpRequest, filters: Query[PaymentFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = billing_access.payments_for_user(user)
    for name in ("lease_id", "customer_id", "channel", "reference"):
        value = getattr(filters, name)
        if value not in (None, ""):
            qs = qs.filter(**{name: value})
    tz = clock.business_tz()
    if filters.received_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(filters.received_from, dt.time(), tz))
    if filters.received_to:
        end = filters.received_to + dt.timedelta(days=1)
        qs = qs.filter(received_at__lt=dt.datetime.combine(end, dt.time(), tz))
    show = billing_access.sees_amounts(user)
    return page_of(
        qs.order_by("-received_at", "-id"),
        params=paging,
        present=lambda p: present_payment(user, p, show=show),
    )


@router.get("/leases/{int:lease_id}/ledger", response={200: LedgerOut, **ERRORS})
def lease_ledger(request: HttpRequest, lease_id: int) -> Any:
    user = caller(request)
    lease = billing_access.lease_for_billing(user, lease_id)
    return selectors.lease_ledger(user, lease)


@router.get("/receivables/aging", response={200: AgingOut, **ERRORS})
def receivables_aging(request: HttpRequest, filters: Query[AgingFilters]) -> Any:
    user = caller(request)
    base = billing_access.bills_for_user(user)
    for name in ("project_id", "building_id", "customer_id", "kind"):
        value = getattr(filters, name)
        if value not in (None, ""):
            base = base.filter(**{name: value})
    return selectors.aging(user, today=clock.today(), base=base)


# Guarded money movements: each answers 202 with the approval request (see docs/approvals.md).


def _refund_out(user: Any, refund: Any) -> dict[str, Any]:
    show = billing_access.sees_amounts(user)
    return {
        "id": refund.pk,
        "kind": refund.kind,
        "kind_label": refund.get_kind_display(),
        "payment_id": refund.payment_id,
        "amount": refund.amount if show else None,
        "channel": refund.channel,
        "reference": refund.reference,
        "reason": refund.reason,
        "created_at": refund.created_at,
    }


@router.post(
    "/leases/{int:lease_id}/deposit-refund", response={201: RefundOut, **ACCEPTED, **ERRORS}
)
def deposit_refund(request: HttpRequest, lease_id: int, payload: DepositRefundIn) -> Any:
    user = caller(request)
    access.require(user, "billing.write")
    lease = billing_access.lease_for_billing(user, lease_id)
    result = services.deposit_refund(lease=lease, by=user, **payload.model_dump())
    if is_request(result):
        return accepted(user, result)  # type: ignore[arg-type]
    return Status(201, _refund_out(user, result))


@router.post("/payments/{int:payment_id}/refund", response={201: RefundOut, **ACCEPTED, **ERRORS})
def credit_refund(request: HttpRequest, payment_id: int, payload: CreditRefundIn) -> Any:
    user = caller(request)
    access.require(user, "billing.write")
    payment = billing_access.payment_for_user(user, payment_id)
    result = services.credit_refund(payment=payment, by=user, **payload.model_dump())
    if is_request(result):
        return accepted(user, result)  # type: ignore[arg-type]
    return Status(201, _refund_out(user, result))


@router.post("/bills/{int:bill_id}/write-off", response={200: BillOut, **ACCEPTED, **ERRORS})
def bill_write_off(request: HttpRequest, bill_id: int, payload: WriteOffIn) -> Any:
    user = caller(request)
    access.require(user, "billing.write")
    bill = billing_access.bill_for_user(user, bill_id)
    result = services.bill_write_off(bill=bill, by=user, reason=payload.reason)
    if is_request(result):
        return accepted(user, result)  # type: ignore[arg-type]
    return present_bill(user, billing_access.bill_for_user(user, bill_id))
