"""``anzu import FILE``: validate and import units, customers and leases from .xlsx or .csv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from anzu.common.errors import DomainError
from anzu.core.models import Organization, User
from anzu.onboarding import services
from anzu.onboarding.choices import ImportKind, ImportStatus
from anzu.onboarding.template import build_template
from anzu.risk.approvals.models import ApprovalRequest

# Exit statuses: 0 imported (or valid, with --dry-run); 1 nothing imported because of errors;
# 3 --partial imported the valid rows and skipped the rows listed.
EXIT_ERRORS = 1
EXIT_PARTIAL = 3


class Command(BaseCommand):
    help = (
        "Import units, customers and leases from an .xlsx workbook or a .csv file. Every row is "
        "validated first; with any error nothing is imported unless --partial is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the .xlsx or .csv file to import")
        parser.add_argument("--org", help="organization slug (default: the only one)")
        parser.add_argument("--user", help="username recorded as the actor (needs import.run)")
        parser.add_argument(
            "--partial", action="store_true", help="import the valid rows, skip rows with errors"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report, write nothing"
        )
        parser.add_argument(
            "--kind",
            choices=[ImportKind.UNITS, ImportKind.CUSTOMERS, ImportKind.LEASES],
            help="what a CSV file holds (default: detected from its headers)",
        )
        parser.add_argument("--template", metavar="OUT", help="write the template .xlsx to OUT")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["template"]:
            out = Path(options["template"])
            out.write_bytes(build_template())
            self.stdout.write(f"Template written to {out}")
            if not options["file"]:
                return
        if not options["file"]:
            raise CommandError("Give the FILE to import (or --template OUT).")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        user = self._user(options["user"])
        org = self._organization(options["org"], user)
        with translation.override("en"):
            try:
                job = services.import_job_create(
                    organization=org,
                    by=user,
                    file_name=path.name,
                    data=path.read_bytes(),
                    kind=options["kind"] or ImportKind.AUTO,
                    partial=options["partial"],
                    dry_run=options["dry_run"],
                )
            except DomainError as err:
                raise CommandError(f"{path.name}: {err.message}") from None
            if isinstance(job, ApprovalRequest):
                self.stdout.write(
                    f"Submitted for approval: request #{job.pk} waits for a checker "
                    "(the import runs once it is approved)."
                )
                return
            job = services.import_job_run(job_id=job.pk)
        self._report(job)
        if job.status == ImportStatus.FAILED:
            raise CommandError(
                "Nothing was imported." if not job.dry_run else "The file has errors.",
                returncode=EXIT_ERRORS,
            )
        if job.error_count and not job.dry_run:
            raise CommandError(
                f"Imported the valid rows; skipped {job.error_count} error(s) listed above.",
                returncode=EXIT_PARTIAL,
            )

    def _user(self, username: str | None) -> User | None:
        if not username:
            return None
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"--user: no user named {username!r}") from None

    def _organization(self, slug: str | None, user: User | None) -> Organization:
        if slug:
            try:
                org = Organization.objects.get(slug=slug)
            except Organization.DoesNotExist:
                raise CommandError(f"--org: no organization with slug {slug!r}") from None
            if user is not None and user.organization_id != org.pk:
                raise CommandError("--user belongs to another organization than --org")
            return org
        if user is not None:
            if user.organization is None:
                raise CommandError("--user belongs to no organization")
            return user.organization
        orgs = list(Organization.objects.all()[:2])
        if len(orgs) != 1:
            raise CommandError("Several organizations exist: choose one with --org SLUG.")
        return orgs[0]

    def _report(self, job: Any) -> None:
        out = self.stdout
        mode = " (dry run: nothing written)" if job.dry_run else ""
        out.write(f"Import #{job.pk} {job.file_name}: {job.status}{mode}")
        if job.message:
            out.write(f"  {job.message}")
        rows = job.counts.get("rows", {})
        for kind, c in rows.items():
            out.write(f"  {kind} sheet: {c['total']} rows, {c['failed']} with errors")
        for kind in ("projects", "buildings", "units", "customers", "leases"):
            if kind not in job.counts:
                continue
            c = job.counts[kind]
            out.write(
                f"  {kind:<10} created {c['created']:>6}  updated {c['updated']:>6}  "
                f"unchanged {c['unchanged']:>6}"
            )
        if job.errors:
            out.write(f"{job.error_count} error(s):")
            for e in job.errors:
                out.write(f"  {e['sheet']} row {e['row']} [{e['column']}]: {e['message']}")
            if job.error_count > len(job.errors):
                out.write(f"  … and {job.error_count - len(job.errors)} more")
