"""The onboarding import: validate every row of a file, then write everything in one transaction.

Flow: read the file (type, size, content checks) → validate every cell with the services'
validators → resolve natural keys and check cross-row rules against the database → write the plan
set-based with one audit event per created or updated object. With errors nothing is written,
unless ``partial`` is asked for, in which case only the valid rows are. Re-importing the same file
changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import DomainError, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import Organization, User
from anzu.onboarding.choices import ImportKind, ImportStatus
from anzu.onboarding.models import ImportJob
from anzu.onboarding.planner import Planner
from anzu.onboarding.reader import FileProblem, read_file, sniff
from anzu.onboarding.report import MAX_STORED_ERRORS, Issues
from anzu.onboarding.rows import parse_rows
from anzu.risk.approvals.models import ApprovalRequest

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]


@dataclass
class ImportResult:
    """What an import did (or, in a dry run or when it failed, would have done)."""

    written: bool = False
    dry_run: bool = False
    partial: bool = False
    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total_rows: int = 0
    message: str = ""
    audit_events: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.message


class _Abort(Exception):
    """Roll back the validation transaction without writing."""


def import_file(
    *,
    organization: Organization,
    by: User | None,
    name: str,
    data: bytes,
    kind: str = ImportKind.AUTO,
    partial: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate and import one file for ``organization``. ``by`` is None for operator runs."""
    if by is not None:
        access.require(by, "import.run")
        if by.organization_id != organization.pk:
            raise ValidationFailed("invalid", _("The user belongs to another organization."))
    report = progress or (lambda _pct, _status: None)
    result = ImportResult(dry_run=dry_run, partial=partial)
    issues = Issues()
    try:
        sheets = read_file(name=name, data=data, kind=kind, issues=issues)
    except FileProblem as problem:
        result.message = problem.message
        return result
    result.total_rows = sum(len(s.rows) for s in sheets)
    report(20, ImportStatus.VALIDATING)
    by_kind = {s.kind: s for s in sheets}
    rows = {k: parse_rows(s, issues) for k, s in by_kind.items()}
    report(50, ImportStatus.VALIDATING)
    try:
        with transaction.atomic():
            planner = Planner(
                organization=organization, by=by, sheets=by_kind, rows=rows, issues=issues
            )
            planner.plan_units()
            planner.plan_customers()
            planner.plan_leases()
            plan = planner.finish()
            result.counts = plan.counts
            failed = len(issues) > 0
            if dry_run or (failed and not partial) or plan.is_empty():
                raise _Abort
            report(70, ImportStatus.IMPORTING)
            from anzu.onboarding.writer import write_plan

            result.audit_events = write_plan(plan)
            result.written = True
    except _Abort:
        pass
    except (IntegrityError, DatabaseError):
        logger.warning("import %s failed on a concurrent change", name, exc_info=True)
        result.written = False
        result.audit_events = 0
        result.message = _(
            "The data changed while the file was being imported; nothing was written. "
            "Run the import again."
        )
    result.errors = issues.sorted()
    if result.errors and not result.written and not dry_run:
        result.counts = {}  # nothing was written: no created/updated/unchanged to report
    result.counts["rows"] = _row_counts(by_kind, issues)
    return result


def _row_counts(sheets: dict[str, Any], issues: Issues) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for kind, sheet in sheets.items():
        failed = sum(1 for r in sheet.rows if (kind, r.number) in issues.bad_rows)
        counts[kind] = {"total": len(sheet.rows), "failed": failed}
    return counts


# Jobs -------------------------------------------------------------------------------------


def import_job_create(
    *,
    organization: Organization | None = None,
    by: User | None,
    file_name: str,
    data: bytes,
    kind: str = ImportKind.AUTO,
    partial: bool = False,
    dry_run: bool = False,
) -> ImportJob | ApprovalRequest:
    """Check the upload (type, size, content) and queue a job; nothing else is written.

    A job that writes (not a dry run) by a staff user is held for a second person's approval
    when the organization's rule for ``onboarding.import`` applies (by default always): the
    job then waits with status ``approval`` and the approval request is returned instead.

    Staff imports name ``by`` (their organization is used); operator runs from the command line
    may pass ``by=None`` and the ``organization``.
    """
    if by is not None:
        access.require(by, "import.run")
        if organization is not None and organization.pk != by.organization_id:
            raise ValidationFailed("invalid", _("The user belongs to another organization."))
        organization = Organization.objects.get(pk=access.org_id(by))
    if organization is None:
        raise ValidationFailed("required", _("Choose the organization."), field="organization")
    kind = v.choice(kind or ImportKind.AUTO, field="kind", choices=ImportKind.choices)
    file_name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    sniff(file_name, data, kind)
    with transaction.atomic():
        job = ImportJob.objects.create(
            organization=organization,
            created_by=by,
            file_name=file_name,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            kind=kind,
            partial=bool(partial),
            dry_run=bool(dry_run),
            payload=data,
        )
        audit.record(
            action="import.job.create",
            obj=job,
            organization=organization,
            actor=by,
            changes={
                "file_name": [None, job.file_name],
                "sha256": [None, job.sha256],
                "kind": [None, kind],
                "partial": [None, job.partial],
                "dry_run": [None, job.dry_run],
            },
        )
        if by is not None and not job.dry_run:
            # An import that writes creates and activates leases in bulk: a second person approves
            # it first (the rule is data; dry runs write nothing and are never held).
            from anzu.risk.approvals.guard import guard

            # Held until decided (the request's precondition reads this state).
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.APPROVAL)
            request = guard(
                "onboarding.import",
                by=by,
                args={"job_id": job.pk, "sha256": job.sha256},
                summary=_("Import %(file)s") % {"file": job.file_name},
                diff=[
                    ("file_name", None, job.file_name),
                    ("size", None, job.size),
                    ("sha256", None, job.sha256),
                    ("kind", None, job.kind),
                    ("partial", None, job.partial),
                ],
                obj=job,
            )
            if request is not None:
                return request
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    return job


def import_job_release(*, job: ImportJob, by: User, approval: Any) -> ImportJob:
    """Run an import held for approval, as its maker, once a checker approved it."""
    from anzu.risk.approvals.guard import guard

    guard(
        "onboarding.import", by=by, args={"job_id": job.pk, "sha256": job.sha256}, approval=approval
    )
    released = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.APPROVAL).update(
        status=ImportStatus.QUEUED
    )
    if not released:
        raise ValidationFailed("stale", _("The import no longer waits for approval."))
    return import_job_run(job_id=job.pk)


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued job (the Huey task and the CLI call this). Safe to call twice."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.VALIDATING, started_at=clock.now(), progress=5
    )
    job = ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    if not claimed:
        return job

    def progress(pct: int, status: str) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=pct, status=status)

    try:
        with translation.override("en"):  # the report is stored in English, shown localized
            result = import_file(
                organization=job.organization,
                by=job.created_by,
                name=job.file_name,
                data=bytes(job.payload or b""),
                kind=job.kind,
                partial=job.partial,
                dry_run=job.dry_run,
                progress=progress,
            )
    except DomainError as error:  # e.g. the user lost the import role meanwhile
        result = ImportResult(message=error.message)
    except Exception:
        logger.exception("import job %s crashed", job_id)
        result = ImportResult(message=_("The import failed unexpectedly; nothing was written."))
    job.counts = result.counts
    job.total_rows = result.total_rows
    job.error_count = len(result.errors)
    job.errors = result.errors[:MAX_STORED_ERRORS]
    job.message = str(result.message)[:500]
    job.status = ImportStatus.DONE if _succeeded(result) else ImportStatus.FAILED
    job.progress = 100
    job.finished_at = clock.now()
    job.payload = None  # the file may hold personal data; keep only the report
    job.save(
        update_fields=[
            "counts",
            "total_rows",
            "error_count",
            "errors",
            "message",
            "status",
            "progress",
            "finished_at",
            "payload",
        ]
    )
    return job


def _succeeded(result: ImportResult) -> bool:
    if result.message:
        return False
    if result.dry_run:
        return not result.errors
    return result.written or not result.errors


def job_summary(job: ImportJob) -> dict[str, Any]:
    """The job as the API and the pages show it."""
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "size": job.size,
        "sha256": job.sha256,
        "kind": job.kind,
        "status": job.status,
        "partial": job.partial,
        "dry_run": job.dry_run,
        "progress": job.progress,
        "total_rows": job.total_rows,
        "error_count": job.error_count,
        "counts": job.counts,
        "message": job.message,
        "created_by": job.created_by.username if job.created_by is not None else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
