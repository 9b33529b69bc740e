"""Approval pages: pending for me, my requests, one request (diff + decision), the rule editor."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.common.errors import DomainError
from anzu.common.pagination import paginate
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, staff_view
from anzu.risk.approvals import access as approvals_access
from anzu.risk.approvals import selectors, services
from anzu.risk.approvals.choices import RequestStatus
from anzu.risk.approvals.forms import DecisionForm, RuleForm
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.presenters import present_request, present_rule
from anzu.risk.approvals.web import submitted


@staff_view("approvals.view")
def pending(request: HttpRequest) -> HttpResponse:
    rows = [present_request(request.user, r) for r in selectors.pending_for(request.user)]
    return render(request, "approvals/list.html", {"rows": rows, "tab": "pending"})


@staff_view("approvals.view")
def mine(request: HttpRequest) -> HttpResponse:
    page = paginate(
        selectors.my_requests(request.user).select_related("maker"),
        page=page_number(request),
        page_size=50,
    )
    rows = [present_request(request.user, r) for r in page.items]
    return render(request, "approvals/list.html", {"rows": rows, "page": page, "tab": "mine"})


def _render_detail(
    request: HttpRequest, item: ApprovalRequest, form: DecisionForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "approvals/detail.html",
        {"item": present_request(request.user, item), "form": form or DecisionForm()},
        status=status,
    )


@staff_view("approvals.view")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = fetch(approvals_access.request_for_user, request.user, pk)
    return _render_detail(request, item)


@require_POST
@staff_view("approvals.view")
def decide(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    user: Any = request.user
    item = fetch(approvals_access.request_for_user, user, pk)
    form = DecisionForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        if what == "approve":
            item = services.request_approve(request=item, by=user, reason=reason)
            if item.status == RequestStatus.EXECUTED:
                messages.success(request, _("Approved and executed."))
            else:
                messages.success(request, _("Approval recorded; more checkers are needed."))
        elif what == "reject":
            services.request_reject(request=item, by=user, reason=reason)
            messages.success(request, _("Request rejected."))
        elif what == "cancel":
            services.request_cancel(request=item, by=user, reason=reason)
            messages.success(request, _("Request cancelled."))
        else:
            raise Http404
    except DomainError as err:
        if err.status == 403:
            raise
        item.refresh_from_db()
        if err.field == "reason":
            form.add_domain_error(err)
        else:
            messages.error(request, localized_message(err))
        return _render_detail(request, item, form, status=409 if err.status == 409 else 422)
    return redirect("approvals:detail", pk=item.pk)


@staff_view("approvals.view")
def download(request: HttpRequest, pk: int) -> HttpResponse:
    from anzu.documents.models import Document
    from anzu.documents.services import document_content

    item = fetch(approvals_access.request_for_user, request.user, pk)
    if (
        item.maker_id != request.user.pk
        or item.status != RequestStatus.EXECUTED
        or item.result.get("object_type") != "documents.document"
    ):
        raise Http404
    document = Document.objects.get(
        pk=item.result["object_id"], organization_id=item.organization_id
    )
    response = HttpResponse(document_content(document), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="approval-{item.pk}.csv"'
    return response


@staff_view("approvals.view")
def rules(request: HttpRequest) -> HttpResponse:
    services.ensure_rules_for(request.user)
    rows = [
        {
            "rule": present_rule(rule),
            "form": RuleForm(
                initial={
                    "conditions": json.dumps(rule.conditions, ensure_ascii=False),
                    "checkers_required": rule.checkers_required,
                    "checker_capability": rule.checker_capability,
                    "active": rule.active,
                },
                auto_id=f"rule{rule.pk}_%s",
            ),
        }
        for rule in approvals_access.rules_for_user(request.user).order_by("action", "id")
    ]
    return render(
        request,
        "approvals/rules.html",
        {"rows": rows, "can_edit": access.can(request.user, "approvals.rules"), "tab": "rules"},
    )


@require_POST
@staff_view("approvals.rules")
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    rule = fetch(approvals_access.rule_for_user, user, pk)
    form = RuleForm(request.POST, auto_id=f"rule{rule.pk}_%s")
    if form.is_valid():
        try:
            result = services.rule_update(rule=rule, by=user, data=dict(form.cleaned_data))
        except DomainError as err:
            messages.error(request, localized_message(err))
        else:
            if isinstance(result, ApprovalRequest):
                return submitted(request, result)
            messages.success(request, _("Rule saved."))
    else:
        messages.error(request, _("The form was incomplete; reload the page and try again."))
    return redirect("approvals:rules")
