"""``anzu workorders metrics --month YYYY-MM [--org ID]``: print one month's work-order metrics
as one JSON object (definitions in docs/maintenance.md, "Analytics")."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anzu.core.models import Organization
from anzu.maintenance import analytics


class Command(BaseCommand):
    help = "Work-order jobs. 'metrics' prints one month's metrics of an organization as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        metrics = sub.add_parser("metrics", help="Print the metrics of one month as JSON.")
        metrics.add_argument("--month", required=True, help="The month, YYYY-MM.")
        metrics.add_argument(
            "--org",
            type=int,
            help="Organization id (required when there is more than one organization).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "metrics":  # pragma: no cover - argparse refuses others
            raise CommandError("unknown action")
        try:
            month = analytics.parse_month(options["month"])
        except ValueError:
            raise CommandError(f"--month: not a month (YYYY-MM): {options['month']!r}") from None
        org_id = options.get("org")
        if org_id is None:
            ids = list(Organization.objects.order_by("id").values_list("id", flat=True)[:2])
            if len(ids) != 1:
                raise CommandError("--org: required when there is not exactly one organization")
            org_id = ids[0]
        elif not Organization.objects.filter(pk=org_id).exists():
            raise CommandError(f"--org: no organization {org_id}")
        result = {"organization_id": org_id, **analytics.month_metrics(org_id, month)}
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
