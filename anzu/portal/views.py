"""Tenant portal pages (H5): my bills, pay online, payment result, my notices, my messages.

Views are thin: objects come from :mod:`anzu.portal.access`, writes go through
:mod:`anzu.portal.services`. Anyone but a tenant gets 403 on the list pages; an object outside
the tenant's reach is a 404.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anzu.common import clock
from anzu.common.errors import DomainError, NotFound
from anzu.common.errors import PermissionDenied as DomainPermissionDenied
from anzu.core.forms import localized_message
from anzu.documents.services import document_content
from anzu.integrations.payments import UnknownProvider, provider_for
from anzu.integrations.payments.sandbox import SandboxPaymentProvider
from anzu.notify import services as notify_services
from anzu.portal import access as portal_access
from anzu.portal import selectors, services
from anzu.portal.choices import PaymentOrderStatus
from anzu.portal.forms import PayForm
from anzu.portal.models import PaymentOrder
from anzu.portal.presenters import present_notice, present_order, present_tenant_bill

View = Callable[..., HttpResponse]
ZERO = Decimal("0.00")


def tenant_page(view: View) -> View:
    """Login required; the access helpers' NotFound is a 404, PermissionDenied a 403."""

    @login_required
    @never_cache
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except DomainPermissionDenied:
            raise DjangoPermissionDenied from None

    return wrapper


@tenant_page
def bills(request: HttpRequest) -> HttpResponse:
    portal_access.require_tenant(request.user)
    today = clock.today()
    groups = selectors.bill_overview(request.user, today=today)
    return render(
        request,
        "portal/bills.html",
        {
            "groups": groups,
            "today": today,
            "total_outstanding": sum((g["outstanding"] for g in groups), ZERO),
            "orders": selectors.recent_orders(request.user),
        },
    )


@tenant_page
def bill(request: HttpRequest, pk: int) -> HttpResponse:
    the_bill = portal_access.bill_for_tenant(request.user, pk)
    today = clock.today()
    covered = selectors.payable_through(the_bill)
    form = PayForm(
        initial={
            "bill_ids": ",".join(str(b.pk) for b in covered),
            "amount": sum((b.outstanding for b in covered), ZERO),
        }
    )
    return render(
        request,
        "portal/bill.html",
        {
            "bill": present_tenant_bill(request.user, the_bill, today=today),
            "lease": the_bill.lease,
            "unit_label": f"{the_bill.building.name} {the_bill.unit.code}",
            "covered": [present_tenant_bill(request.user, b, today=today) for b in covered],
            "pay_total": sum((b.outstanding for b in covered), ZERO),
            "form": form,
        },
    )


def _checkout_redirect(order: PaymentOrder) -> HttpResponse:
    if order.checkout_kind == "redirect" and order.checkout_value:
        return redirect(order.checkout_value)
    return redirect("portal:payment_result", pk=order.pk)


@tenant_page
def pay(request: HttpRequest) -> HttpResponse:
    """GET ?lease=<id>: confirm paying all of a lease; POST: make the order and go to checkout."""
    portal_access.require_tenant(request.user)
    today = clock.today()
    if request.method == "POST":
        form = PayForm(request.POST)
        if form.is_valid():
            try:
                order = services.payment_order_create(
                    by=request.user,  # type: ignore[arg-type]
                    client_ip=request.META.get("REMOTE_ADDR"),
                    **form.service_data(),
                )
            except services.PaymentProviderFailed as err:
                form.add_error(None, localized_message(err))
            except DomainError as err:
                form.add_domain_error(err)
            else:
                return _checkout_redirect(order)
        lease_id = form.data.get("lease_id") or None
        bill_ids = [v for v in str(form.data.get("bill_ids", "")).split(",") if v.strip()]
    else:
        form = None
        lease_id = request.GET.get("lease")
        bill_ids = []
    if bill_ids:
        covered = list(
            portal_access.bills_for_tenant(request.user).filter(
                pk__in=[int(v) for v in bill_ids if v.strip().isdigit()]
            )
        )
        lease = covered[0].lease if covered else None
    else:
        lease = portal_access.lease_for_tenant(request.user, lease_id)
        covered = services.open_bills_in_order(lease.pk)
    covered.sort(key=services.bill_sort_key)
    total = sum((b.outstanding for b in covered), ZERO)
    if form is None:
        form = PayForm(initial={"lease_id": lease.pk if lease else None, "amount": total})
    return render(
        request,
        "portal/pay.html",
        {
            "form": form,
            "lease": lease,
            "covered": [present_tenant_bill(request.user, b, today=today) for b in covered],
            "total": total,
        },
        status=422 if form.errors else 200,
    )


@tenant_page
def payment_result(request: HttpRequest, pk: int) -> HttpResponse:
    order = portal_access.order_for_tenant(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            order = services.payment_order_sync(order=order, by=request.user)  # type: ignore[arg-type]
        except DomainError as err:
            error = localized_message(err)
        else:
            return redirect("portal:payment_result", pk=order.pk)
    return render(
        request,
        "portal/payment_result.html",
        {
            "order": present_order(order),
            "lease": order.lease,
            "waiting": order.status == PaymentOrderStatus.CREATED,
            "error": error,
        },
        status=502 if error else 200,
    )


def _sandbox_for(order: PaymentOrder) -> SandboxPaymentProvider:
    """The sandbox provider, when it is the enabled one and made this order; else 404."""
    try:
        provider = provider_for(order.provider)
    except UnknownProvider:
        raise Http404 from None
    if not isinstance(provider, SandboxPaymentProvider):
        raise Http404
    return provider


@tenant_page
def sandbox_checkout(request: HttpRequest, pk: int) -> HttpResponse:
    """The sandbox's checkout page (沙箱): pay or fail, no money moves."""
    order = portal_access.order_for_tenant(request.user, pk)
    provider = _sandbox_for(order)
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome not in ("pay", "fail"):
            raise Http404
        if order.status == PaymentOrderStatus.CREATED or outcome == "pay":
            headers, body = provider.simulate(order, succeed=outcome == "pay")
            # A refusal is logged by the service; the result page shows the order as it is.
            with contextlib.suppress(DomainError):
                services.payment_callback(provider_name=provider.name, headers=headers, body=body)
        return redirect("portal:payment_result", pk=order.pk)
    return render(
        request,
        "portal/sandbox_checkout.html",
        {"order": present_order(order), "lease": order.lease},
    )


@tenant_page
def notices(request: HttpRequest) -> HttpResponse:
    portal_access.require_tenant(request.user)
    docs = portal_access.notices_for_tenant(request.user).order_by("-created_at", "-id")
    leases = {
        str(pk): code
        for pk, code in portal_access.leases_for_tenant(request.user).values_list("pk", "code")
    }
    rows = []
    for doc in docs:
        row = present_notice(doc)
        row["lease_code"] = leases.get(doc.related_id, "")
        rows.append(row)
    return render(request, "portal/notices.html", {"notices": rows})


@tenant_page
def notice_download(request: HttpRequest, pk: int) -> HttpResponse:
    doc = portal_access.notice_for_tenant(request.user, pk)
    response = HttpResponse(document_content(doc), content_type=doc.content_type)
    response["Content-Disposition"] = f'attachment; filename="{doc.sha256[:12]}.pdf"'
    return response


@tenant_page
def inbox(request: HttpRequest) -> HttpResponse:
    portal_access.require_tenant(request.user)
    messages = list(portal_access.inbox_for_tenant(request.user).order_by("-created_at", "-id"))
    return render(
        request,
        "portal/inbox.html",
        {"inbox": messages, "unread": sum(1 for m in messages if m.read_at is None)},
    )


@require_POST
@tenant_page
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    message = portal_access.inbox_message_for_tenant(request.user, pk)
    notify_services.inbox_mark_read(message=message)
    return redirect("portal:inbox")
