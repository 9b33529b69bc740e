"""REST endpoints of the onboarding import (``/api/v1/imports``).

``POST /imports`` uploads a file (multipart) and queues a job; ``GET /imports/{id}`` returns its
status, counts and error report; ``GET /imports/template`` downloads the template workbook.
Jobs are organization-scoped: another organization's job is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.core import access
from anzu.onboarding import access as onboarding_access
from anzu.onboarding import services, tasks
from anzu.onboarding.choices import ImportKind
from anzu.onboarding.models import ImportJob
from anzu.onboarding.reader import check_upload
from anzu.onboarding.template import TEMPLATE_FILE_NAME, XLSX_CONTENT_TYPE, build_template
from anzu.risk.approvals.schemas import ApprovalRequestOut
from anzu.risk.approvals.web import accepted, is_request

router = Router(tags=["import"])


class ImportErrorOut(Schema):
    sheet: str
    kind: str
    row: int
    column: str
    code: str
    message: str


class ImportJobOut(Schema):
    id: int
    file_name: str
    size: int
    sha256: str
    kind: str
    status: str
    partial: bool
    dry_run: bool
    progress: int
    total_rows: int
    error_count: int
    counts: dict[str, Any]
    message: str
    created_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ImportJobDetailOut(ImportJobOut):
    errors: list[ImportErrorOut]


def _detail(job: ImportJob) -> dict[str, Any]:
    return {**services.job_summary(job), "errors": job.errors}


@router.get("/imports", response={200: PageOut[ImportJobOut], **ERRORS})
def import_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "import.run")
    qs = onboarding_access.jobs_for_user(user).select_related("created_by")
    return page_of(qs.order_by("-created_at", "-id"), params=paging, present=services.job_summary)


@router.post("/imports", response={202: ImportJobDetailOut | ApprovalRequestOut, **ERRORS})
def import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str] = ImportKind.AUTO,
    partial: Form[bool] = False,
    dry_run: Form[bool] = False,
) -> Any:
    """Upload an .xlsx workbook or a .csv file; the import runs in the background.

    Poll ``GET /imports/{id}`` until ``status`` is ``done`` or ``failed``. An import that
    writes (not a dry run) is guarded (``onboarding.import``): the answer is then the approval
    request, and the import runs when a checker approves it.
    """
    user = caller(request)
    access.require(user, "import.run")
    check_upload(file.name or "", file.size or 0)
    job = services.import_job_create(
        by=user,
        file_name=file.name or "",
        data=bytes(file.read()),
        kind=kind,
        partial=partial,
        dry_run=dry_run,
    )
    if is_request(job):
        return accepted(user, job)
    transaction.on_commit(lambda: tasks.run_import_job(job.pk))
    job.refresh_from_db()
    return Status(202, _detail(job))


@router.get("/imports/template", response={200: None, **ERRORS})
def import_template(request: HttpRequest) -> Any:
    """The template workbook: sheets units, customers and leases with header comments."""
    access.require(caller(request), "import.run")
    response = HttpResponse(build_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILE_NAME}"'
    return response


@router.get("/imports/{int:job_id}", response={200: ImportJobDetailOut, **ERRORS})
def import_detail(request: HttpRequest, job_id: int) -> Any:
    user = caller(request)
    access.require(user, "import.run")
    return _detail(onboarding_access.job_for_user(user, job_id))
