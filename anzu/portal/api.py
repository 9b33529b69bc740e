"""REST endpoints of the portal app, mounted at /api/v1 by anzu/api.py.

``/portal/…`` serve the tenant's mini-program or H5 pages (token or session auth; anyone but a
tenant gets 403, another tenant's objects are 404). ``/payments/callback/{provider}`` receives
the payment provider's notifications: no authentication and no CSRF token — the provider's
signature is the authentication, and a bad one is a 401 with nothing written.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from anzu.common import clock
from anzu.common.api import ERRORS, ErrorOut, PageOut, PageParams, caller, page_of
from anzu.notify.presenters import present_inbox
from anzu.portal import access as portal_access
from anzu.portal import services
from anzu.portal.presenters import present_notice, present_order, present_tenant_bill
from anzu.portal.schemas import (
    CallbackAck,
    InboxItemOut,
    NoticeOut,
    PaymentOrderIn,
    PaymentOrderOut,
    PortalBillFilters,
    PortalBillOut,
)

router = Router(tags=["Portal"])


@router.get("/portal/bills", response={200: PageOut[PortalBillOut], **ERRORS})
def bill_list(
    request: HttpRequest, filters: Query[PortalBillFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    portal_access.require_tenant(user)
    qs = portal_access.bills_for_tenant(user)
    if filters.lease_id is not None:
        qs = qs.filter(lease_id=filters.lease_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    today = clock.today()
    return page_of(
        qs.order_by("due_date", "id"),
        params=paging,
        present=lambda b: present_tenant_bill(user, b, today=today),
    )


@router.post("/portal/payment-orders", response={201: PaymentOrderOut, 502: ErrorOut, **ERRORS})
def payment_order_create(request: HttpRequest, payload: PaymentOrderIn) -> Any:
    user = caller(request)
    order = services.payment_order_create(
        by=user,
        amount=payload.amount,
        bill_ids=payload.bill_ids,
        lease_id=payload.lease_id,
        client_ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(201, present_order(order))


@router.get("/portal/payment-orders/{int:order_id}", response={200: PaymentOrderOut, **ERRORS})
def payment_order_detail(request: HttpRequest, order_id: int) -> Any:
    user = caller(request)
    portal_access.require_tenant(user)
    return present_order(portal_access.order_for_tenant(user, order_id))


@router.get("/portal/notices", response={200: PageOut[NoticeOut], **ERRORS})
def notice_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    portal_access.require_tenant(user)
    qs = portal_access.notices_for_tenant(user).order_by("-created_at", "-id")
    return page_of(qs, params=paging, present=present_notice)


@router.get("/portal/inbox", response={200: PageOut[InboxItemOut], **ERRORS})
def inbox_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    portal_access.require_tenant(user)
    qs = portal_access.inbox_for_tenant(user).order_by("-created_at", "-id")
    return page_of(qs, params=paging, present=present_inbox)


@router.post(
    "/payments/callback/{provider}",
    auth=None,
    response={200: CallbackAck, **ERRORS},
    tags=["Payments"],
)
def payment_callback(request: HttpRequest, provider: str) -> Any:
    services.payment_callback(
        provider_name=provider, headers=dict(request.headers), body=request.body
    )
    return {"code": "SUCCESS", "message": "OK"}
