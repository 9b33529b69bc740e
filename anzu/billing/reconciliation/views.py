"""Statement pages: list and upload, one import's lines, the review queue with its forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.billing.reconciliation import access as reconciliation_access
from anzu.billing.reconciliation import parsers, selectors, services
from anzu.billing.reconciliation.choices import LineStatus
from anzu.billing.reconciliation.forms import AssignForm, IgnoreForm, LineFilterForm, UploadForm
from anzu.billing.reconciliation.models import StatementLine
from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.common.pagination import paginate
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view

CAPABILITY = "reconciliation.manage"


def _counts_message(counts: dict[str, int]) -> str:
    return (
        _(
            "%(lines)s lines: %(matched)s matched, %(review)s to review, "
            "%(duplicates)s duplicates, %(ignored)s ignored."
        )
        % counts
    )


@staff_view(CAPABILITY)
def statement_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    problems: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            parsers.detect_format(upload.name, upload.size)  # before reading it into memory
            result = services.statement_import(
                by=request.user,  # type: ignore[arg-type]
                file_name=upload.name,
                data=bytes(upload.read()),
                account=form.cleaned_data["account"],
            )
        except DomainError as err:
            form.add_error("account" if err.field == "account" else "file", localized_message(err))
            problems = list(err.extra.get("errors", []))[1:]
        else:
            statement = result.statement_import
            if result.created:
                messages.success(request, _counts_message(statement.counts()))
            else:
                messages.info(
                    request,
                    _("This file was already imported on %(date)s; nothing was changed.")
                    % {"date": clock.local(statement.created_at).strftime("%Y-%m-%d %H:%M")},
                )
            return redirect("reconciliation:detail", pk=statement.pk)
    page = paginate(selectors.import_list(request.user), page=page_number(request), page_size=50)
    return render(
        request,
        "reconciliation/list.html",
        {
            "form": form,
            "page": page,
            "problems": problems,
            "review_total": selectors.review_queue(request.user).count(),
        },
        status=422 if form.errors else 200,
    )


@staff_view(CAPABILITY)
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = fetch(reconciliation_access.import_for_user, request.user, pk)
    filters = LineFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    page = paginate(
        selectors.import_lines(request.user, statement, status=status),
        page=page_number(request),
        page_size=100,
    )
    return render(
        request,
        "reconciliation/detail.html",
        {
            "statement": statement,
            "filters": filters,
            "page": page,
            "rows": selectors.present_lines(request.user, page.items),
            "qs": querystring_without_page(request.GET),
        },
    )


def _assign_form(row: dict[str, Any], data: Any = None) -> AssignForm:
    leases: list[tuple[int, str]] = []
    customers: list[tuple[int, str]] = []
    for c in row["candidates"]:
        if c["lease_id"] and all(c["lease_id"] != pk for pk, _label in leases):
            label = f"{c['lease_code']} · {c['customer_name'] or ''} · {c['unit'] or ''}"
            leases.append((c["lease_id"], f"{label} ({c['score']})"))
        if c["customer_id"] and all(c["customer_id"] != pk for pk, _label in customers):
            customers.append((c["customer_id"], c["customer_name"] or f"#{c['customer_id']}"))
    return AssignForm(data, prefix=f"assign-{row['id']}", leases=leases, customers=customers)


def _render_review(
    request: HttpRequest,
    *,
    bound: dict[int, dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    page = paginate(selectors.review_queue(request.user), page=page_number(request), page_size=20)
    lines = list(page.items)
    shown = {line.pk for line in lines}
    missing = [pk for pk in bound if pk not in shown]
    if missing:  # the line with errors is shown first, whatever page it is on
        lines = list(selectors.review_queue(request.user).filter(pk__in=missing)) + lines
    rows = selectors.present_lines(request.user, lines)
    for row in rows:
        forms = bound.get(row["id"], {})
        row["assign_form"] = forms.get("assign") or _assign_form(row)
        row["ignore_form"] = forms.get("ignore") or IgnoreForm(prefix=f"ignore-{row['id']}")
    return render(
        request,
        "reconciliation/review.html",
        {"page": page, "rows": rows, "qs": querystring_without_page(request.GET)},
        status=status,
    )


@staff_view(CAPABILITY)
def review(request: HttpRequest) -> HttpResponse:
    return _render_review(request)


def _line_row(request: HttpRequest, line: StatementLine) -> dict[str, Any]:
    return selectors.present_lines(request.user, [line])[0]


@require_POST
@staff_view(CAPABILITY)
def line_assign(request: HttpRequest, pk: int) -> HttpResponse:
    line = fetch(reconciliation_access.line_for_user, request.user, pk)
    if line.status != LineStatus.REVIEW:
        messages.error(request, _("This line was already resolved."))
        return redirect("reconciliation:review")
    form = _assign_form(_line_row(request, line), request.POST)
    if form.is_valid():
        try:
            line = services.statement_line_assign(
                line=line,
                by=request.user,  # type: ignore[arg-type]
                **form.service_data(),
            )
        except DomainError as err:
            if err.code == "already_resolved":
                messages.error(request, localized_message(err))
                return redirect("reconciliation:review")
            form.add_domain_error(err)
        else:
            messages.success(
                request,
                _("Line %(line)s resolved: payment #%(payment)s recorded.")
                % {"line": line.line_number, "payment": line.payment_id},
            )
            return redirect("reconciliation:review")
    return _render_review(request, bound={line.pk: {"assign": form}}, status=422)


@require_POST
@staff_view(CAPABILITY)
def line_ignore(request: HttpRequest, pk: int) -> HttpResponse:
    line = fetch(reconciliation_access.line_for_user, request.user, pk)
    form = IgnoreForm(request.POST, prefix=f"ignore-{line.pk}")
    if form.is_valid():
        try:
            services.statement_line_ignore(
                line=line,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except DomainError as err:
            if err.code == "already_resolved":
                messages.error(request, localized_message(err))
                return redirect("reconciliation:review")
            form.add_domain_error(err)
        else:
            messages.success(request, _("Line %(line)s ignored.") % {"line": line.line_number})
            return redirect("reconciliation:review")
    return _render_review(request, bound={line.pk: {"ignore": form}}, status=422)
