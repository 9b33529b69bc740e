"""``anzu statements import FILE --org ORG_ID --user USERNAME``: import a bank statement.

Prints a JSON summary: the import's id, whether it is new, and its counts. The same file again
prints the first import with ``"created": false``. A malformed file exits with an error naming
the file, line and column; nothing is imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anzu.billing.reconciliation import services
from anzu.common.errors import DomainError
from anzu.core.models import User


class Command(BaseCommand):
    help = "Bank statements. 'import' reads a .csv, .xlsx or MT940 file and matches its credits."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("import", help="Import one statement file.")
        run.add_argument("file", help="Path of the .csv, .xlsx or MT940 (.sta, .txt) file.")
        run.add_argument("--org", type=int, required=True, help="Organization id.")
        run.add_argument(
            "--user",
            required=True,
            help="Username of the staff member the import and its payments are recorded for.",
        )
        run.add_argument("--account", default="", help="The statement's own account number.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "import":  # pragma: no cover - argparse refuses others
            raise CommandError("unknown action")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            user = User.objects.get(username=options["user"], organization_id=options["org"])
        except User.DoesNotExist:
            raise CommandError(
                f"No user {options['user']!r} in organization {options['org']}."
            ) from None
        try:
            result = services.statement_import(
                by=user, file_name=path.name, data=path.read_bytes(), account=options["account"]
            )
        except DomainError as err:
            raise CommandError(f"{err.code}: {err.message}") from None
        statement = result.statement_import
        summary = {
            "id": statement.pk,
            "created": result.created,
            "file_name": statement.file_name,
            "format": statement.format,
            "account": statement.account,
            "counts": statement.counts(),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))
