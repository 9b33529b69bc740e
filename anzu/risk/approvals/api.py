"""REST endpoints of maker-checker approvals (``/api/v1/approvals``).

Guarded actions elsewhere answer HTTP 202 with the request; these endpoints list, show, approve,
reject and cancel requests, and change rules (which is itself approved).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import NotFound
from anzu.core import access
from anzu.risk.approvals import access as approvals_access
from anzu.risk.approvals import selectors, services
from anzu.risk.approvals.choices import RequestStatus
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.presenters import present_request, present_rule
from anzu.risk.approvals.schemas import (
    ACCEPTED,
    ApprovalFilters,
    ApprovalRequestOut,
    ReasonIn,
    RuleOut,
    RulePatch,
)
from anzu.risk.approvals.web import accepted

router = Router(tags=["approvals"])


@router.get("/approvals", response={200: PageOut[ApprovalRequestOut], **ERRORS})
def approval_list(
    request: HttpRequest, filters: Query[ApprovalFilters], paging: Query[PageParams]
) -> Any:
    """Requests the caller may see, newest first; ``pending_for_me`` lists what they may decide."""
    user = caller(request)
    access.require(user, "approvals.view")
    if filters.pending_for_me:
        ids = [r.pk for r in selectors.pending_for(user)]
        qs = approvals_access.requests_for_user(user).filter(pk__in=ids)
    else:
        qs = approvals_access.requests_for_user(user)
    if filters.mine:
        qs = qs.filter(maker=user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.action:
        qs = qs.filter(action=filters.action)
    return page_of(
        qs.select_related("maker").order_by("-created_at", "-id"),
        params=paging,
        present=lambda r: present_request(user, r),
    )


@router.get("/approvals/{int:request_id}", response={200: ApprovalRequestOut, **ERRORS})
def approval_detail(request: HttpRequest, request_id: int) -> Any:
    user = caller(request)
    return present_request(user, approvals_access.request_for_user(user, request_id))


@router.post("/approvals/{int:request_id}/approve", response={200: ApprovalRequestOut, **ERRORS})
def approval_approve(request: HttpRequest, request_id: int, payload: ReasonIn | None = None) -> Any:
    user = caller(request)
    item = approvals_access.request_for_user(user, request_id)
    item = services.request_approve(request=item, by=user, reason=payload.reason if payload else "")
    return present_request(user, item)


@router.post("/approvals/{int:request_id}/reject", response={200: ApprovalRequestOut, **ERRORS})
def approval_reject(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    user = caller(request)
    item = approvals_access.request_for_user(user, request_id)
    item = services.request_reject(request=item, by=user, reason=payload.reason)
    return present_request(user, item)


@router.post("/approvals/{int:request_id}/cancel", response={200: ApprovalRequestOut, **ERRORS})
def approval_cancel(request: HttpRequest, request_id: int, payload: ReasonIn | None = None) -> Any:
    user = caller(request)
    item = approvals_access.request_for_user(user, request_id)
    item = services.request_cancel(request=item, by=user, reason=payload.reason if payload else "")
    return present_request(user, item)


@router.get("/approvals/{int:request_id}/download", response={200: None, **ERRORS})
def approval_download(request: HttpRequest, request_id: int) -> Any:
    """The file an executed export produced; only its maker downloads it."""
    from anzu.documents.models import Document
    from anzu.documents.services import document_content

    user = caller(request)
    item = approvals_access.request_for_user(user, request_id)
    if (
        item.maker_id != user.pk
        or item.status != RequestStatus.EXECUTED
        or item.result.get("object_type") != "documents.document"
    ):
        raise NotFound("file")
    document = Document.objects.get(
        pk=item.result["object_id"], organization_id=item.organization_id
    )
    response = HttpResponse(document_content(document), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="approval-{item.pk}.csv"'
    return response


@router.get("/approval-rules", response={200: PageOut[RuleOut], **ERRORS})
def rule_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "approvals.view")
    services.ensure_rules_for(user)
    qs = approvals_access.rules_for_user(user).order_by("action", "id")
    return page_of(qs, params=paging, present=present_rule)


@router.patch("/approval-rules/{int:rule_id}", response={200: RuleOut, **ACCEPTED, **ERRORS})
def rule_update(request: HttpRequest, rule_id: int, payload: RulePatch) -> Any:
    user = caller(request)
    rule = approvals_access.rule_for_user(user, rule_id)
    result = services.rule_update(rule=rule, by=user, data=payload.model_dump(exclude_unset=True))
    if isinstance(result, ApprovalRequest):
        return accepted(user, result)
    return present_rule(result)
