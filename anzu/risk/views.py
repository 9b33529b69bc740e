"""Audit trail and log verification pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.common import validate as v
from anzu.common.errors import ValidationFailed
from anzu.core.views import staff_view
from anzu.risk import auditlog, keys, selectors


@staff_view("audit.view")
def audit_trail(request: HttpRequest) -> HttpResponse:
    params = request.GET
    errors: dict[str, str] = {}
    dates = {}
    for name in ("since", "until"):
        try:
            dates[name] = v.date(params.get(name) or None, field=name, required=False)
        except ValidationFailed as exc:
            errors[name] = str(exc.message)
            dates[name] = None
    qs = selectors.audit_events_for_user(
        request.user,
        action=params.get("action", "").strip(),
        object_type=params.get("object_type", "").strip(),
        object_id=params.get("object_id", "").strip(),
        actor=params.get("actor", "").strip(),
        since=dates["since"],
        until=dates["until"],
    )
    page = Paginator(qs, 50).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "risk/audit_trail.html",
        {
            "page": page,
            "params": params,
            "errors": errors,
            "query": query.urlencode(),
            "status": selectors.log_status(),
            "vkey": keys.vkey(),
            "report": request.session.pop("audit_verify_report", None),
        },
    )


@require_POST
@staff_view("audit.view")
def audit_verify(request: HttpRequest) -> HttpResponse:
    auditlog.integrate()
    auditlog.checkpoint()
    report = auditlog.verify_database()
    request.session["audit_verify_report"] = report.as_dict()
    if report.ok:
        messages.success(request, _("The audit log verified: every entry matches its checkpoint."))
    else:
        messages.error(request, _("The audit log does NOT verify. See the problems below."))
    return redirect("risk:audit")
