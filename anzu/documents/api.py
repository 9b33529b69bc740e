"""REST endpoints of the document archive, the notice archive and the notice templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Query, Router, Schema, Status

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import NotFound
from anzu.core import access
from anzu.documents import notices, selectors
from anzu.documents.access import (
    document_for_user,
    documents_for_user,
    notice_issue_for_user,
    notice_template_for_user,
    notice_templates_for_user,
)
from anzu.documents.presenters import placeholder_catalog, present_notice, present_template
from anzu.documents.schemas import (
    NoticeFilters,
    NoticeIssueIn,
    NoticeOut,
    NoticeTemplateFilters,
    NoticeTemplateIn,
    NoticeTemplateOut,
    NoticeTemplatePreviewIn,
    PlaceholderOut,
)
from anzu.documents.services import document_check
from anzu.documents.views import download_response

router = Router(tags=["documents"])


class DocumentOut(Schema):
    id: int
    kind: str
    title: str
    sha256: str
    size: int
    content_type: str
    signed: bool
    related_type: str
    related_id: str
    created_at: dt.datetime


class DocumentFilters(Schema):
    kind: str | None = None
    related_type: str | None = None
    related_id: str | None = None


class SignatureCheckOut(Schema):
    signed: bool
    intact: bool
    valid: bool
    trusted: bool
    bottom_line: bool
    signer: str
    summary: str


@router.get("/documents", response={200: PageOut[DocumentOut], **ERRORS})
def document_list(
    request: HttpRequest, filters: Query[DocumentFilters], paging: Query[PageParams]
) -> Any:
    qs = documents_for_user(caller(request))
    for name in ("kind", "related_type", "related_id"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    return page_of(qs.order_by("-created_at", "-id"), params=paging)


@router.get("/documents/{int:document_id}", response={200: DocumentOut, **ERRORS})
def document_detail(request: HttpRequest, document_id: int) -> Any:
    return document_for_user(caller(request), document_id)


@router.get("/documents/{int:document_id}/file", response={**ERRORS})
def document_file(request: HttpRequest, document_id: int) -> Any:
    return download_response(document_for_user(caller(request), document_id))


@router.get("/documents/{int:document_id}/verify", response={200: SignatureCheckOut, **ERRORS})
def document_verify(request: HttpRequest, document_id: int) -> Any:
    return document_check(document_for_user(caller(request), document_id)).__dict__


# Notices ------------------------------------------------------------------------------------------


@router.get("/notices", response={200: PageOut[NoticeOut], **ERRORS})
def notice_list(
    request: HttpRequest, filters: Query[NoticeFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    access.require(user, "documents.view")
    qs = selectors.notice_search(
        user, kind=filters.kind or "", lease_id=filters.lease_id, customer_id=filters.customer_id
    )
    show = access.sees_amounts(user)
    return page_of(qs, params=paging, present=lambda n: present_notice(user, n, show=show))


@router.get("/notices/{int:notice_id}", response={200: NoticeOut, **ERRORS})
def notice_detail(request: HttpRequest, notice_id: int) -> Any:
    user = caller(request)
    access.require(user, "documents.view")
    return present_notice(user, notice_issue_for_user(user, notice_id))


@router.post("/notices", response={201: NoticeOut, **ERRORS})
def notice_create(request: HttpRequest, payload: NoticeIssueIn) -> Any:
    """Issue a notice by hand (``dunning.manage``); the key is ``manual:<uuid>``."""
    from anzu.leasing.access import lease_for_user

    user = caller(request)
    access.require(user, "dunning.manage")
    try:
        lease = lease_for_user(user, payload.lease_id)
    except NotFound:
        raise NotFound("lease", field="lease_id") from None
    issue = notices.notice_issue_manual(lease=lease, kind=payload.kind, by=user)
    return Status(201, present_notice(user, notice_issue_for_user(user, issue.pk)))


# Notice templates ---------------------------------------------------------------------------------


@router.get("/notice-templates", response={200: PageOut[NoticeTemplateOut], **ERRORS})
def notice_template_list(
    request: HttpRequest, filters: Query[NoticeTemplateFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    access.require(user, "documents.view")
    notices.notice_templates_ensure_defaults(organization_id=access.org_id(user))
    qs = notice_templates_for_user(user).select_related("created_by")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return page_of(qs.order_by("kind", "-version", "id"), params=paging, present=present_template)


@router.get("/notice-templates/placeholders", response={200: list[PlaceholderOut], **ERRORS})
def notice_template_placeholders(request: HttpRequest) -> Any:
    access.require(caller(request), "documents.view")
    return [{"name": name, "label": label} for name, label in placeholder_catalog()]


@router.get("/notice-templates/{int:template_id}", response={200: NoticeTemplateOut, **ERRORS})
def notice_template_detail(request: HttpRequest, template_id: int) -> Any:
    user = caller(request)
    access.require(user, "documents.view")
    return present_template(notice_template_for_user(user, template_id))


@router.post("/notice-templates", response={201: NoticeTemplateOut, **ERRORS})
def notice_template_save(request: HttpRequest, payload: NoticeTemplateIn) -> Any:
    template = notices.notice_template_save(by=caller(request), **payload.model_dump())
    return Status(201, present_template(template))


@router.post(
    "/notice-templates/{int:template_id}/publish", response={200: NoticeTemplateOut, **ERRORS}
)
def notice_template_publish(request: HttpRequest, template_id: int) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    template = notice_template_for_user(user, template_id)
    return present_template(notices.notice_template_publish(template=template, by=user))


@router.post("/notice-templates/{int:template_id}/preview", response={**ERRORS})
def notice_template_preview(
    request: HttpRequest,
    template_id: int,
    payload: Body[NoticeTemplatePreviewIn | None] = None,
) -> Any:
    """A PDF of the template filled with sample data (not signed, marked as a sample)."""
    user = caller(request)
    access.require(user, "documents.view")
    template = notice_template_for_user(user, template_id)
    changes = payload.model_dump() if payload is not None else {}
    pdf = selectors.template_preview(user=user, template=template, **changes)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="notice-template-{template.pk}-v{template.version}-preview.pdf"'
    )
    return response
