"""Billing pages: the rent ledger of a lease, record payment, manual charge, receivables."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.billing import access as billing_access
from anzu.billing import selectors, services
from anzu.billing.choices import BillStatus
from anzu.billing.forms import (
    ChargeForm,
    CreditRefundForm,
    DepositRefundForm,
    PaymentForm,
    ReceivablesFilterForm,
    WriteOffForm,
)
from anzu.billing.presenters import present_bill
from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.common.pagination import paginate
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease
from anzu.portfolio import access as portfolio_access
from anzu.risk.approvals.web import is_request, submitted


def _add_error(form: Any, err: DomainError) -> None:
    """Put a service error on the form; a duplicate reference gets a localized message."""
    if err.code == "duplicate_payment" and "existing_payment" in err.extra:
        existing = err.extra["existing_payment"]
        form.add_error(
            "reference",
            _("Reference %(reference)s was already recorded as payment #%(id)s.")
            % {"reference": existing["reference"], "id": existing["id"]},
        )
    else:
        form.add_domain_error(err)


def _render_ledger(
    request: HttpRequest,
    lease: Lease,
    *,
    refund_form: DepositRefundForm | None = None,
    status: int = 200,
) -> HttpResponse:
    ledger = selectors.lease_ledger(request.user, lease)
    can_write = access.can(request.user, "billing.write")
    moved_out = lease.status in (LeaseStatus.TERMINATED, LeaseStatus.EXPIRED)
    return render(
        request,
        "billing/ledger.html",
        {
            "lease": lease,
            "ledger": ledger,
            "can_write": can_write and lease.status != LeaseStatus.VOID,
            "can_settle_deposit": can_write and moved_out,
            "refund_form": refund_form or DepositRefundForm(auto_id="refund_%s"),
            "credit_refund_form": CreditRefundForm(auto_id="credit_refund_%s"),
            "write_off_form": WriteOffForm(auto_id="write_off_%s"),
        },
        status=status,
    )


@staff_view("billing.view")
def ledger(request: HttpRequest, pk: int) -> HttpResponse:
    lease = fetch(billing_access.lease_for_billing, request.user, pk)
    return _render_ledger(request, lease)


@require_POST
@staff_view("billing.write")
def ledger_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    lease = fetch(billing_access.lease_for_billing, request.user, pk)
    user: Any = request.user
    if action == "deposit-refund":
        form = DepositRefundForm(request.POST, auto_id="refund_%s")
        if form.is_valid():
            try:
                result = services.deposit_refund(lease=lease, by=user, **form.cleaned_data)
            except DomainError as err:
                form.add_domain_error(err)
            else:
                if is_request(result):
                    return submitted(request, result)  # type: ignore[arg-type]
                messages.success(request, _("Deposit refund recorded."))
                return redirect("billing:ledger", pk=lease.pk)
        return _render_ledger(request, lease, refund_form=form, status=422)
    if action in ("credit-refund", "write-off"):
        return _guarded_ledger_action(request, lease, action)
    try:
        if action == "credit-apply":
            applied = services.credit_apply_for_lease(lease=lease, by=user)
            messages.success(request, _("Credit applied: ¥%(amount)s.") % {"amount": applied})
        elif action == "deposit-offset":
            services.deposit_offset(lease=lease, by=user)
            messages.success(request, _("Deposit offset against unpaid bills."))
        else:
            raise Http404
    except DomainError as err:
        messages.error(request, localized_message(err))
    return redirect("billing:ledger", pk=lease.pk)


def _guarded_ledger_action(request: HttpRequest, lease: Lease, action: str) -> HttpResponse:
    """Refund a payment's credit or write off a bill of this lease: both wait for approval."""
    user: Any = request.user
    form: Any = (
        CreditRefundForm(request.POST) if action == "credit-refund" else WriteOffForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, _("The form was incomplete; reload the page and try again."))
        return redirect("billing:ledger", pk=lease.pk)
    data = dict(form.cleaned_data)
    result: Any
    try:
        if action == "credit-refund":
            payment = fetch(billing_access.payment_for_user, user, data.pop("payment_id"))
            if payment.lease_id not in (None, lease.pk):
                raise Http404
            result = services.credit_refund(payment=payment, by=user, **data)
        else:
            bill = fetch(billing_access.bill_for_user, user, data.pop("bill_id"))
            if bill.lease_id != lease.pk:
                raise Http404
            result = services.bill_write_off(bill=bill, by=user, reason=data["reason"])
    except DomainError as err:
        messages.error(request, localized_message(err))
        return redirect("billing:ledger", pk=lease.pk)
    if is_request(result):
        return submitted(request, result)
    messages.success(request, _("Done."))
    return redirect("billing:ledger", pk=lease.pk)


def _lease_from_query(request: HttpRequest) -> Lease:
    lease_id = request.POST.get("lease_id") or request.GET.get("lease")
    return fetch(billing_access.lease_for_billing, request.user, lease_id)


@staff_view("billing.write")
def payment_create(request: HttpRequest) -> HttpResponse:
    lease = _lease_from_query(request)
    form = PaymentForm(request.POST or None, initial={"lease_id": lease.pk})
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_record(by=request.user, **form.service_data())  # type: ignore[arg-type]
        except DomainError as err:
            _add_error(form, err)
        else:
            payment.refresh_from_db()
            messages.success(
                request,
                _("Payment recorded; unallocated credit ¥%(credit)s.")
                % {"credit": payment.unallocated},
            )
            return redirect("billing:ledger", pk=lease.pk)
    return render(
        request,
        "billing/payment_form.html",
        {"form": form, "lease": lease},
        status=422 if form.errors else 200,
    )


@staff_view("billing.write")
def charge_create(request: HttpRequest) -> HttpResponse:
    lease = _lease_from_query(request)
    form = ChargeForm(request.POST or None, initial={"lease_id": lease.pk})
    if request.method == "POST" and form.is_valid():
        try:
            services.charge_create(by=request.user, **form.service_data())  # type: ignore[arg-type]
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Charge added."))
            return redirect("billing:ledger", pk=lease.pk)
    return render(
        request,
        "billing/charge_form.html",
        {"form": form, "lease": lease},
        status=422 if form.errors else 200,
    )


@staff_view("billing.view")
def receivables(request: HttpRequest) -> HttpResponse:
    user = request.user
    projects = list(
        portfolio_access.projects_for_user(user).order_by("code", "id").values_list("id", "name")
    )
    buildings = [
        (pk, f"{project} · {name}")
        for pk, project, name in portfolio_access.buildings_for_user(user)
        .order_by("project__code", "code", "id")
        .values_list("id", "project__name", "name")
    ]
    form = ReceivablesFilterForm(
        request.GET or None,
        initial={"status": BillStatus.OPEN},
        projects=projects,
        buildings=buildings,
    )
    filters = selectors.ReceivableFilters(status=BillStatus.OPEN)
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ReceivableFilters(
            project_id=data.get("project_id"),
            building_id=data.get("building_id"),
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            overdue_only=bool(data.get("overdue_only")),
        )
    today = clock.today()
    qs = selectors.bill_search(user, filters, today=today).select_related(
        "lease", "unit", "customer", "building"
    )
    page = paginate(qs, page=page_number(request), page_size=50)
    show = billing_access.sees_amounts(user)
    rows = []
    for bill in page.items:
        row = present_bill(user, bill, show=show)
        row.update(
            lease_code=bill.lease.code,
            unit_label=f"{bill.building.name} {bill.unit.code}",
            customer_name=bill.customer.name,
            days_overdue=(today - bill.due_date).days
            if bill.status == BillStatus.OPEN and bill.due_date < today
            else None,
        )
        rows.append(row)
    aging_base = selectors.bill_search(
        user,
        selectors.ReceivableFilters(
            project_id=filters.project_id,
            building_id=filters.building_id,
            kind=filters.kind,
        ),
        today=today,
    )
    return render(
        request,
        "billing/receivables.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "qs": querystring_without_page(request.GET),
            "aging": selectors.aging(user, today=today, base=aging_base),
            "sees_amounts": show,
        },
    )
