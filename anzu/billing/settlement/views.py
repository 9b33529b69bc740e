"""Settlement pages: the case list, opening a case, the case (checklist, statement, decisions),
the statement PDF and the credit-report preparation export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.billing.settlement import access as settlement_access
from anzu.billing.settlement import selectors, services
from anzu.billing.settlement.choices import EDITABLE_STATUSES, PREPARABLE_STATUSES, SettlementStatus
from anzu.billing.settlement.forms import (
    CloseForm,
    FilterForm,
    InspectionForm,
    ItemFormSet,
    OpenForm,
    ReasonForm,
    VersionForm,
)
from anzu.billing.settlement.models import SettlementCase
from anzu.billing.settlement.presenters import present_case, present_statement
from anzu.common import clock
from anzu.common.errors import DomainError, NotFound
from anzu.common.pagination import paginate
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view
from anzu.documents.services import document_content
from anzu.leasing import access as leasing_access
from anzu.leasing.models import Lease
from anzu.risk.approvals.web import is_request, submitted


@staff_view("settlement.manage")
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    base = settlement_access.cases_for_user(user)
    form = FilterForm(request.GET or None)
    chosen = form.filters()
    qs = selectors.case_search(
        base.select_related("lease", "lease__customer", "lease__building", "lease__unit"),
        selectors.CaseFilters(status=chosen.get("status", ""), source=chosen.get("source", "")),
    )
    page = paginate(qs, page=page_number(request), page_size=50)
    counts = selectors.status_counts(base)
    return render(
        request,
        "settlement/list.html",
        {
            "form": form,
            "page": page,
            "rows": [present_case(user, c) for c in page.items],
            "status_rows": [
                (value, label, counts[value]) for value, label in SettlementStatus.choices
            ],
            "qs": querystring_without_page(request.GET),
        },
    )


def _lease_by_code_or_id(user: Any, value: str) -> Lease:
    leases = leasing_access.leases_for_user(user)
    text = value.strip()
    found = leases.filter(code=text).first()
    if found is None and text.isdigit():
        found = leases.filter(pk=int(text)).first()
    if found is None or not access.can(user, "settlement.manage"):
        raise NotFound("lease", field="lease_id")
    return found


@staff_view("settlement.manage")
def case_open(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    initial: dict[str, Any] = {}
    if request.GET.get("lease"):
        lease = fetch(settlement_access.lease_for_settlement, user, request.GET["lease"])
        initial["lease"] = lease.code
    form = OpenForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            try:
                lease = _lease_by_code_or_id(user, data["lease"])
            except NotFound:
                raise DomainError("not_found", "Unknown lease.", field="lease_id") from None
            case, created = services.settlement_open_or_get(
                lease=lease, by=user, reason=data["reason"], move_out_date=data["move_out_date"]
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            if created:
                messages.success(request, _("Settlement opened."))
            else:
                messages.info(request, _("This lease already has an open settlement."))
            return redirect("settlement:detail", pk=case.pk)
    return render(
        request, "settlement/open.html", {"form": form}, status=422 if form.errors else 200
    )


def _item_initial(case: SettlementCase) -> list[dict[str, Any]]:
    return [
        {
            "area": i.area,
            "item": i.item,
            "condition": i.condition,
            "damage_amount": "" if not i.damage_amount else str(i.damage_amount),
            "note": i.note,
        }
        for i in case.items.all()
    ]


def _render_detail(
    request: HttpRequest,
    case: SettlementCase,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    show = access.sees_amounts(user)
    data = present_case(user, case, detail=True)
    statement = data["statement"]
    preview = None
    preview_error = ""
    if statement is None and case.move_out_date is not None and case.status in EDITABLE_STATUSES:
        computed = selectors.compute_statement(case)
        preview = present_statement(show, computed)
        if computed["blocking_bills"]:
            preview_error = _(
                "Open bills start after the move-out date; terminate the lease on the move-out "
                "date first (the daily bill run then voids unpaid rent after it) or change the date."
            )
    version = {"version": case.version}
    forms = forms or {}
    editable = case.status in EDITABLE_STATUSES
    can_manage = access.can(user, "settlement.manage")
    can_approve = access.can(user, "settlement.approve")
    context = {
        "case": case,
        "data": data,
        "lease": case.lease,
        "statement": statement,
        "preview": preview,
        "preview_error": preview_error,
        "show": show,
        "items_formset": forms.get("items")
        or ItemFormSet(initial=_item_initial(case), prefix="items"),
        "inspection_form": forms.get("inspection")
        or InspectionForm(initial={**version, "move_out_date": case.move_out_date}),
        "version_form": VersionForm(initial=version),
        "reject_form": forms.get("reject") or ReasonForm(initial=version, auto_id="reject_%s"),
        "cancel_form": forms.get("cancel") or ReasonForm(initial=version, auto_id="cancel_%s"),
        "close_form": forms.get("close") or CloseForm(initial=version),
        "actions": {
            "inspect": can_manage and editable,
            "prepare": can_manage and case.status in PREPARABLE_STATUSES,
            "approve": can_approve
            and case.status == SettlementStatus.STATEMENT_READY
            and case.prepared_by_id != user.pk,
            "reject": can_approve and case.status == SettlementStatus.STATEMENT_READY,
            "close": can_manage and case.status == SettlementStatus.APPROVED,
            "cancel": can_manage
            and case.status not in (SettlementStatus.CLOSED, SettlementStatus.CANCELLED),
        },
        "prepared_by_me": case.prepared_by_id == user.pk,
        "today": clock.today(),
    }
    return render(request, "settlement/detail.html", context, status=status)


@staff_view("settlement.manage")
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, fetch(settlement_access.case_for_user, request.user, pk))


def _inspect(request: HttpRequest, case: SettlementCase) -> HttpResponse:
    user: Any = request.user
    formset = ItemFormSet(request.POST, prefix="items")
    form = InspectionForm(request.POST)
    forms = {"items": formset, "inspection": form}
    if not (formset.is_valid() and form.is_valid()):
        return _render_detail(request, case, forms=forms, status=422)
    rows: list[dict[str, Any]] = []
    positions: list[int] = []
    for index, item_form in enumerate(formset.forms):
        data = item_form.cleaned_data
        if not data or data.get("DELETE") or item_form.is_blank():
            continue
        rows.append(
            {k: data.get(k) for k in ("area", "item", "condition", "damage_amount", "note")}
        )
        positions.append(index)
    try:
        services.settlement_inspect(
            case=case,
            by=user,
            items=rows,
            move_out_date=form.cleaned_data["move_out_date"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as err:
        field = err.field or ""
        parts = field.split(".")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
            target = formset.forms[positions[int(parts[1])]]
            target.add_error(
                parts[2] if parts[2] in target.fields else None, localized_message(err)
            )
        else:
            form.add_domain_error(err)
        return _render_detail(request, case, forms=forms, status=422)
    messages.success(request, _("Checklist saved."))
    return redirect("settlement:detail", pk=case.pk)


def _with_reason(request: HttpRequest, case: SettlementCase, action: str) -> HttpResponse:
    user: Any = request.user
    prefix = "reject_%s" if action == "reject" else "cancel_%s"
    form = ReasonForm(request.POST, auto_id=prefix)
    if form.is_valid():
        service = services.settlement_reject if action == "reject" else services.settlement_cancel
        try:
            service(
                case=case,
                by=user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            if action == "reject":
                messages.success(request, _("Statement sent back to the preparer."))
            else:
                messages.success(request, _("Settlement cancelled."))
            return redirect("settlement:detail", pk=case.pk)
    return _render_detail(request, case, forms={action: form}, status=422)


def _close(request: HttpRequest, case: SettlementCase) -> HttpResponse:
    user: Any = request.user
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.settlement_close(
                case=case,
                by=user,
                refund_channel=form.cleaned_data["refund_channel"],
                refund_reference=form.cleaned_data["refund_reference"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Settlement closed."))
            return redirect("settlement:detail", pk=case.pk)
    return _render_detail(request, case, forms={"close": form}, status=422)


@require_POST
@staff_view("settlement.manage")
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = fetch(settlement_access.case_for_user, request.user, pk)
    user: Any = request.user
    if action == "inspect":
        return _inspect(request, case)
    if action in ("reject", "cancel"):
        return _with_reason(request, case, action)
    if action == "close":
        return _close(request, case)
    if action not in ("prepare", "approve"):
        raise Http404
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        if action == "prepare":
            services.settlement_prepare(case=case, by=user, expected_version=version)
            messages.success(request, _("Statement prepared."))
        else:
            services.settlement_approve(case=case, by=user, expected_version=version)
            messages.success(request, _("Statement approved."))
    except DomainError as err:
        messages.error(request, localized_message(err))
    return redirect("settlement:detail", pk=case.pk)


@staff_view("settlement.manage")
def statement_download(request: HttpRequest, pk: int) -> HttpResponse:
    case = fetch(settlement_access.case_for_user, request.user, pk)
    if case.statement_document is None:
        raise Http404
    response = HttpResponse(
        document_content(case.statement_document), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="settlement-{case.pk}.pdf"'
    return response


@staff_view("settlement.manage")
def credit_export(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        result = services.credit_report_export(by=user)
        if is_request(result):  # the export waits for a checker; the maker downloads it then
            return submitted(request, result)
        response = HttpResponse(result, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="credit-report-{clock.today():%Y%m%d}.csv"'
        )
        return response
    rows = selectors.credit_report_rows(settlement_access.cases_for_user(user))
    return render(
        request,
        "settlement/credit_export.html",
        {
            "rows": rows,
            "show": access.sees_amounts(user),
            "sees_pii": access.sees_pii(user),
        },
    )
