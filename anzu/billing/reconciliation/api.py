"""REST endpoints of the reconciliation app, mounted at /api/v1 by anzu/api.py.

``POST /statements`` uploads a statement (multipart, field ``file``; optional ``account``) and
imports it at once; the same file again is a 409 ``already_imported`` naming the first import.
``GET /statements/review`` is the review queue; ``POST /statement-lines/{id}/assign`` and
``/ignore`` resolve a line.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile

from anzu.billing.reconciliation import access as reconciliation_access
from anzu.billing.reconciliation import parsers, selectors, services
from anzu.billing.reconciliation.presenters import present_import
from anzu.billing.reconciliation.schemas import (
    AssignIn,
    IgnoreIn,
    LineFilters,
    StatementCreatedOut,
    StatementLineOut,
    StatementOut,
)
from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.pagination import paginate
from anzu.core import access

router = Router(tags=["Reconciliation"])
CAPABILITY = "reconciliation.manage"


def _line_page(user: Any, qs: Any, paging: PageParams) -> dict[str, Any]:
    page = paginate(qs, page=paging.page, page_size=paging.page_size)
    return {
        "items": selectors.present_lines(user, page.items),
        "page": page.page,
        "page_size": page.page_size,
        "total": page.total,
    }


@router.post("/statements", response={201: StatementCreatedOut, **ERRORS})
def statement_upload(
    request: HttpRequest, file: File[UploadedFile], account: Form[str] = ""
) -> Any:
    """Upload a bank statement (.csv, .xlsx or MT940) and import it.

    Credits are matched to leases at once; see ``counts`` and ``GET /statements/{id}/lines``.
    """
    user = caller(request)
    access.require(user, CAPABILITY)
    parsers.detect_format(file.name or "", file.size or 0)  # before reading it into memory
    result = services.statement_import(
        by=user, file_name=file.name or "", data=bytes(file.read()), account=account
    )
    if not result.created:
        raise services.already_imported(result.statement_import)
    return Status(201, {**present_import(result.statement_import), "created": True})


@router.get("/statements", response={200: PageOut[StatementOut], **ERRORS})
def statement_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, CAPABILITY)
    return page_of(selectors.import_list(user), params=paging, present=present_import)


@router.get("/statements/review", response={200: PageOut[StatementLineOut], **ERRORS})
def review_queue(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, CAPABILITY)
    return _line_page(user, selectors.review_queue(user), paging)


@router.get("/statements/{int:statement_id}", response={200: StatementOut, **ERRORS})
def statement_detail(request: HttpRequest, statement_id: int) -> Any:
    user = caller(request)
    access.require(user, CAPABILITY)
    return present_import(reconciliation_access.import_for_user(user, statement_id))


@router.get(
    "/statements/{int:statement_id}/lines", response={200: PageOut[StatementLineOut], **ERRORS}
)
def statement_lines(
    request: HttpRequest,
    statement_id: int,
    filters: Query[LineFilters],
    paging: Query[PageParams],
) -> Any:
    user = caller(request)
    access.require(user, CAPABILITY)
    statement = reconciliation_access.import_for_user(user, statement_id)
    qs = selectors.import_lines(user, statement, status=filters.status or "")
    return _line_page(user, qs, paging)


@router.post("/statement-lines/{int:line_id}/assign", response={200: StatementLineOut, **ERRORS})
def line_assign(request: HttpRequest, line_id: int, payload: AssignIn) -> Any:
    user = caller(request)
    access.require(user, CAPABILITY)
    line = reconciliation_access.line_for_user(user, line_id)
    line = services.statement_line_assign(line=line, by=user, **payload.model_dump())
    return selectors.present_lines(user, [line])[0]


@router.post("/statement-lines/{int:line_id}/ignore", response={200: StatementLineOut, **ERRORS})
def line_ignore(request: HttpRequest, line_id: int, payload: IgnoreIn) -> Any:
    user = caller(request)
    access.require(user, CAPABILITY)
    line = reconciliation_access.line_for_user(user, line_id)
    line = services.statement_line_ignore(line=line, by=user, reason=payload.reason)
    return selectors.present_lines(user, [line])[0]
