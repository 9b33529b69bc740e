"""Customer and lease pages. Reads go through selectors and presenters, writes through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anzu.common.errors import DomainError
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view
from anzu.leasing import access as leasing_access
from anzu.leasing import selectors, services
from anzu.leasing.choices import LEASE_TRANSITIONS, LeaseStatus
from anzu.leasing.forms import (
    CustomerFilterForm,
    CustomerForm,
    LeaseCreateForm,
    LeaseEditForm,
    LeaseFilterForm,
    LeaseTermsForm,
    TerminateForm,
    VersionForm,
    VoidForm,
)
from anzu.leasing.models import Lease
from anzu.leasing.presenters import present_customer, present_lease
from anzu.portfolio import access as portfolio_access
from anzu.risk.approvals.web import is_request, submitted


def _project_choices(user: Any) -> list[tuple[int, str]]:
    return list(
        portfolio_access.projects_for_user(user).order_by("code", "id").values_list("id", "name")
    )


def _building_choices(user: Any) -> list[tuple[int, str]]:
    rows = (
        portfolio_access.buildings_for_user(user)
        .select_related("project")
        .order_by("project__code", "code", "id")
        .values_list("id", "project__name", "name")
    )
    return [(pk, f"{project} · {name}") for pk, project, name in rows]


# Customers --------------------------------------------------------------------------------------


@staff_view("customer.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page, rows = selectors.customer_search(
        request.user,
        q=(filters.get("q") or "").strip(),
        kind=filters.get("kind") or "",
        tag=(filters.get("tag") or "").strip(),
        page=page_number(request),
    )
    return render(
        request,
        "leasing/customer_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "qs": querystring_without_page(request.GET),
            "can_write": access.can(request.user, "customer.write"),
        },
    )


@staff_view("customer.view")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = fetch(leasing_access.customer_for_user, request.user, pk)
    data = present_customer(request.user, customer)
    return render(
        request,
        "leasing/customer_detail.html",
        {
            "customer": data,
            "kind_label": customer.get_kind_display(),
            "id_type_label": customer.get_id_type_display(),
            "project_name": customer.project.name if customer.project_id else "",  # type: ignore[union-attr]
            "leases": selectors.customer_leases(request.user, customer),
            "can_write": access.can(request.user, "customer.write"),
            "can_write_leases": access.can(request.user, "lease.write"),
        },
    )


@staff_view("customer.write")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, projects=_project_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(by=request.user, data=form.service_data())  # type: ignore[arg-type]
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Customer created."))
            return redirect("leasing:customer_detail", pk=customer.pk)
    return render(
        request,
        "leasing/customer_form.html",
        {"form": form, "customer": None},
        status=422 if form.errors else 200,
    )


@staff_view("customer.write")
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = fetch(leasing_access.customer_for_user, request.user, pk)
    shown = present_customer(request.user, customer)
    initial = {
        "kind": shown["kind"],
        "name": shown["name"],
        "id_type": shown["id_type"],
        "tags": ", ".join(shown["tags"]),
        "project_id": shown["project_id"],
    }
    if not shown["masked"]:
        initial.update(
            id_number=shown["id_number"],
            phone=shown["phone"],
            email=shown["email"],
            notes=shown["notes"],
        )
    form = CustomerForm(
        request.POST or None,
        initial=initial,
        projects=_project_choices(request.user),
        masked=shown["masked"],
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer=customer, by=request.user, data=form.service_data())  # type: ignore[arg-type]
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("leasing:customer_detail", pk=customer.pk)
    return render(
        request,
        "leasing/customer_form.html",
        {"form": form, "customer": shown},
        status=422 if form.errors else 200,
    )


# Leases -----------------------------------------------------------------------------------------


@staff_view("lease.view")
def lease_list(request: HttpRequest) -> HttpResponse:
    form = LeaseFilterForm(
        request.GET or None,
        projects=_project_choices(request.user),
        buildings=_building_choices(request.user),
    )
    filters = selectors.LeaseFilters()
    if form.is_valid():
        for name, value in form.cleaned_data.items():
            if value not in (None, ""):
                setattr(filters, name, value.strip() if isinstance(value, str) else value)
    page, rows = selectors.lease_search(request.user, filters, page=page_number(request))
    return render(
        request,
        "leasing/lease_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "qs": querystring_without_page(request.GET),
            "can_write": access.can(request.user, "lease.write"),
            "sees_amounts": access.sees_amounts(request.user),
        },
    )


def _actions(user: Any, lease: Lease) -> dict[str, bool]:
    allowed = LEASE_TRANSITIONS[lease.status]
    # An active lease's rent and escalation change through an approval (lease.rent_change).
    editable = lease.status in (
        LeaseStatus.DRAFT,
        LeaseStatus.PENDING_APPROVAL,
        LeaseStatus.ACTIVE,
    )
    return {
        "edit": editable and access.can(user, "lease.write"),
        "submit": LeaseStatus.PENDING_APPROVAL in allowed and access.can(user, "lease.write"),
        "activate": LeaseStatus.ACTIVE in allowed and access.can(user, "lease.activate"),
        "return_to_draft": lease.status == LeaseStatus.PENDING_APPROVAL
        and access.can(user, "lease.activate"),
        "terminate": LeaseStatus.TERMINATED in allowed and access.can(user, "lease.terminate"),
        "void": LeaseStatus.VOID in allowed and access.can(user, "lease.write"),
    }


def _render_lease(
    request: HttpRequest,
    lease: Lease,
    *,
    terminate_form: TerminateForm | None = None,
    void_form: VoidForm | None = None,
    status: int = 200,
) -> HttpResponse:
    data = present_lease(request.user, lease)
    version = {"version": lease.version}
    return render(
        request,
        "leasing/lease_detail.html",
        {
            "lease": data,
            "obj": lease,
            "periods_text": LeaseTermsForm.periods_text(lease.rent_free_periods),
            "actions": _actions(request.user, lease),
            "terminate_form": terminate_form
            or TerminateForm(initial=version, auto_id="terminate_%s"),
            "void_form": void_form or VoidForm(initial=version, auto_id="void_%s"),
            "version_form": VersionForm(initial=version, auto_id=False),
            "sees_ledger": access.can(request.user, "billing.view"),
        },
        status=status,
    )


@staff_view("lease.view")
def lease_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lease = fetch(leasing_access.lease_for_user, request.user, pk)
    return _render_lease(request, lease)


def _unit_initial(user: Any, unit_id: str | None) -> dict[str, Any]:
    if not unit_id:
        return {}
    try:
        unit = portfolio_access.unit_for_user(user, unit_id)
    except DomainError:
        return {}
    return {"building": unit.building_id, "unit_code": unit.code}


@staff_view("lease.write")
def lease_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"due_day_rule": "days_before_period", **_unit_initial(user, request.GET.get("unit"))}
    if request.GET.get("customer", "").isdigit():
        initial["customer_id"] = int(request.GET["customer"])
    selected = request.POST.get("customer_id") if request.method == "POST" else None
    form = LeaseCreateForm(
        request.POST or None,
        initial=initial,
        buildings=_building_choices(user),
        customers=selectors.customer_choices(user, selected=selected or initial.get("customer_id")),
        units=portfolio_access.units_for_user(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            lease = services.lease_create(by=user, data=form.service_data())  # type: ignore[arg-type]
        except DomainError as err:
            form.add_domain_error(err)
        else:
            if is_request(lease):
                return submitted(request, lease)  # type: ignore[arg-type]
            messages.success(
                request, _("Lease %(code)s created as a draft.") % {"code": lease.code}
            )
            return redirect("leasing:lease_detail", pk=lease.pk)
    return render(
        request,
        "leasing/lease_form.html",
        {"form": form, "lease": None},
        status=422 if form.errors else 200,
    )


@staff_view("lease.write")
def customer_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>`` list of the lease form's customer picker, filtered by name (htmx)."""
    q = request.GET.get("customer_q", "").strip()[:100]
    return render(
        request,
        "leasing/_customer_options.html",
        {"choices": selectors.customer_choices(request.user, q=q)},
    )


@staff_view("lease.write")
def lease_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lease = fetch(leasing_access.lease_for_user, request.user, pk)
    shown = present_lease(request.user, lease)
    initial = {name: shown.get(name) for name in LeaseTermsForm.TERM_FIELDS}
    initial["rent_free_periods"] = LeaseTermsForm.periods_text(shown["rent_free_periods"])
    initial["version"] = shown["version"]
    form = LeaseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.lease_update(
                lease=lease,
                by=request.user,  # type: ignore[arg-type]
                data=form.terms_data(),
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            if is_request(result):  # a rent change of an active lease
                return submitted(request, result)  # type: ignore[arg-type]
            messages.success(request, _("Lease saved."))
            return redirect("leasing:lease_detail", pk=lease.pk)
    return render(
        request,
        "leasing/lease_form.html",
        {"form": form, "lease": shown, "editable": _actions(request.user, lease)["edit"]},
        status=422 if form.errors else 200,
    )


SIMPLE_ACTIONS: dict[str, tuple[Callable[..., Any], str, Any]] = {
    "submit": (services.lease_submit, "lease.write", gettext_lazy("Lease submitted for approval.")),
    "activate": (services.lease_activate, "lease.activate", gettext_lazy("Lease activated.")),
    "return_to_draft": (
        services.lease_return_to_draft,
        "lease.activate",
        gettext_lazy("Lease returned to draft."),
    ),
}


@require_POST
@staff_view("lease.view")
def lease_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    lease = fetch(leasing_access.lease_for_user, request.user, pk)
    user: Any = request.user
    if action in SIMPLE_ACTIONS:
        service, capability, done = SIMPLE_ACTIONS[action]
        access.require(user, capability)
        form = VersionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The form was incomplete; reload the page and try again."))
            return redirect("leasing:lease_detail", pk=lease.pk)
        try:
            result = service(lease=lease, by=user, expected_version=form.cleaned_data["version"])
        except DomainError as err:
            messages.error(request, localized_message(err))
        else:
            if is_request(result):  # activation waits for a checker
                return submitted(request, result)
            messages.success(request, str(done))
        return redirect("leasing:lease_detail", pk=lease.pk)
    if action == "terminate":
        access.require(user, "lease.terminate")
        terminate_form = TerminateForm(request.POST, auto_id="terminate_%s")
        if terminate_form.is_valid():
            try:
                services.lease_terminate(
                    lease=lease,
                    by=user,
                    on=terminate_form.cleaned_data["terminated_on"],
                    reason=terminate_form.cleaned_data["termination_reason"],
                    expected_version=terminate_form.cleaned_data["version"],
                )
            except DomainError as err:
                terminate_form.add_domain_error(err)
            else:
                messages.success(request, _("Lease terminated."))
                return redirect("leasing:lease_detail", pk=lease.pk)
        return _render_lease(request, lease, terminate_form=terminate_form, status=422)
    if action == "void":
        access.require(user, "lease.write")
        void_form = VoidForm(request.POST, auto_id="void_%s")
        if void_form.is_valid():
            try:
                services.lease_void(
                    lease=lease,
                    by=user,
                    reason=void_form.cleaned_data["reason"],
                    expected_version=void_form.cleaned_data["version"],
                )
            except DomainError as err:
                void_form.add_domain_error(err)
            else:
                messages.success(request, _("Lease voided."))
                return redirect("leasing:lease_detail", pk=lease.pk)
        return _render_lease(request, lease, void_form=void_form, status=422)
    raise Http404
