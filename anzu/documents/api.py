"""REST endpoints of the document archive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.documents.access import document_for_user, documents_for_user
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
