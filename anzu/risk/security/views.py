"""Pages of the security overview: the shadow-lease report (and its CSV) and the dashboard."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.common.errors import ValidationFailed
from anzu.core import access
from anzu.core.views import staff_view
from anzu.risk.security import filters, presenters, selectors, services

CSV_COLUMNS = (
    ("code", "Lease number"),
    ("unit", "Unit"),
    ("status", "Status"),
    ("created_at", "Created at"),
    ("created_by", "Created by"),
    ("activated_at", "Activated at"),
    ("activated_by", "Activated by"),
    ("reasons", "Reasons"),
    ("details", "Details"),
)


def _render_local(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render with times shown in the organization's time zone."""
    with timezone.override(selectors.tz_of(getattr(request.user, "organization", None))):
        return render(request, template, context)


def _report(request: HttpRequest) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, Any]]:
    try:
        kwargs = filters.report_filters(request.GET)
        rows = selectors.shadow_leases(request.user, **kwargs)
    except ValidationFailed as exc:
        return [], {str(exc.field or "__all__"): str(_(exc.message))}, {}
    return [presenters.shadow_lease(r) for r in rows], {}, kwargs


@staff_view("audit.view")
def shadow_lease_report(request: HttpRequest) -> HttpResponse:
    rows, errors, kwargs = _report(request)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    hours = kwargs.get("hours") or selectors.WorkingHours()
    return _render_local(
        request,
        "security/shadow_leases.html",
        {
            "page": page,
            "total": len(rows),
            "errors": errors,
            "params": request.GET,
            "query": query.urlencode(),
            "reasons": [(code, label) for code, label in selectors.REASONS.items()],
            "hours": hours,
            "risk_hours": kwargs.get("risk_hours", selectors.DEFAULT_RISK_HOURS),
            "since": kwargs.get("since"),
            "until": kwargs.get("until"),
        },
    )


@staff_view("audit.view")
def shadow_lease_csv(request: HttpRequest) -> HttpResponse:
    rows, errors, _kwargs = _report(request)
    if errors:
        field, message = next(iter(errors.items()))
        return HttpResponse(f"{field}: {message}\n", status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shadow-leases.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a byte-order mark correctly
    with timezone.override(selectors.tz_of(getattr(request.user, "organization", None))):
        write_csv(response, rows)
    return response


def _cell(value: str) -> str:
    """Keep spreadsheet programs from reading a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(out: Any, rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(out)
    writer.writerow([_(label) for _name, label in CSV_COLUMNS])
    for row in rows:
        writer.writerow(
            _cell(cell)
            for cell in [
                row["code"],
                row["unit"],
                row["status"],
                timezone.localtime(row["created_at"]).isoformat(),
                row["created_by"],
                timezone.localtime(row["activated_at"]).isoformat() if row["activated_at"] else "",
                row["activated_by"],
                " ".join(r["code"] for r in row["reasons"]),
                " | ".join(f"{r['label']}: {r['text']}" for r in row["reasons"]),
            ]
        )


@staff_view("audit.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    try:
        data = selectors.dashboard(request.user, **filters.period_filters(request.GET))
    except ValidationFailed as exc:
        errors[str(exc.field or "__all__")] = str(_(exc.message))
        data = selectors.dashboard(request.user)
    return _render_local(
        request,
        "security/dashboard.html",
        {
            "data": data,
            "chart": selectors.chart(data),
            "errors": errors,
            "can_manage_accounts": access.can(request.user, "accounts.manage"),
        },
    )


@require_POST
@staff_view("audit.view")
def verify(request: HttpRequest) -> HttpResponse:
    result = services.audit_verify_run(by=request.user)
    if result["ok"]:
        messages.success(request, _("The audit log verified: every entry matches its checkpoint."))
    else:
        messages.error(request, _("The audit log does NOT verify. See the problems below."))
    return redirect("security:dashboard")
