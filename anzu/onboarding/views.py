"""Import pages: upload form, job progress (polled with HTMX), error report, template download."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anzu.common.errors import DomainError
from anzu.core.forms import localized_message
from anzu.core.views import fetch, staff_view
from anzu.onboarding import access as onboarding_access
from anzu.onboarding import services, tasks
from anzu.onboarding.forms import ImportForm
from anzu.onboarding.models import ImportJob
from anzu.onboarding.report import errors_csv, localized
from anzu.onboarding.template import TEMPLATE_FILE_NAME, XLSX_CONTENT_TYPE, build_template
from anzu.risk.approvals.web import is_request, submitted

# Errors shown on the page; the CSV download has all of them.
PAGE_ERRORS = 500
COUNT_LABELS = {
    "projects": _("Projects"),
    "buildings": _("Buildings"),
    "units": _("Units"),
    "customers": _("Customers"),
    "leases": _("Leases"),
}


@staff_view("import.run")
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = _read_upload(upload)
            job = services.import_job_create(
                by=request.user,  # type: ignore[arg-type]
                file_name=upload.name,
                data=data,
                kind=form.cleaned_data["kind"],
                partial=form.cleaned_data["partial"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as err:
            form.add_error("kind" if err.field == "kind" else "file", localized_message(err))
        else:
            if is_request(job):  # an import that writes waits for a second person
                return submitted(request, job)
            transaction.on_commit(lambda: tasks.run_import_job(job.pk))
            return redirect("onboarding:job", pk=job.pk)
    jobs = onboarding_access.jobs_for_user(request.user).select_related("created_by")[:20]
    return render(
        request,
        "onboarding/import.html",
        {"form": form, "jobs": jobs},
        status=422 if form.errors else 200,
    )


def _read_upload(upload: Any) -> bytes:
    from anzu.onboarding.reader import check_upload

    check_upload(upload.name, upload.size)  # before reading it into memory
    return bytes(upload.read())


def _job_context(job: ImportJob) -> dict[str, Any]:
    errors = [{**error, "message": localized(error)} for error in job.errors[:PAGE_ERRORS]]
    counts = [(COUNT_LABELS[kind], job.counts[kind]) for kind in COUNT_LABELS if kind in job.counts]
    return {
        "job": job,
        "errors": errors,
        "more_errors": max(0, job.error_count - len(errors)),
        "counts": counts,
        "rows": job.counts.get("rows", {}),
        "message": gettext(job.message) if job.message else "",
    }


@staff_view("import.run")
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = fetch(onboarding_access.job_for_user, request.user, pk)
    return render(request, "onboarding/job.html", _job_context(job))


@staff_view("import.run")
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress/report fragment; the page polls it every second until the job finishes."""
    job = fetch(onboarding_access.job_for_user, request.user, pk)
    return render(request, "onboarding/job.html#progress", _job_context(job))


@staff_view("import.run")
def job_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    job = fetch(onboarding_access.job_for_user, request.user, pk)
    response = HttpResponse(
        ("\ufeff" + errors_csv(job.errors)).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@staff_view("import.run")
def template_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(build_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILE_NAME}"'
    return response
