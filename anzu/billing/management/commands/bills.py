"""``anzu bills generate [--through YYYY-MM-DD]``: run the bill generation, print a JSON summary."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anzu.billing.generation import HORIZON_DAYS, bills_generate
from anzu.common import clock


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--through: not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Billing jobs. 'generate' bills rent, deposits and late fees (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser(
            "generate",
            help="Create the bills of every billed lease through a date.",
        )
        generate.add_argument(
            "--through",
            help=(
                "Bill rent periods starting on or before this date "
                f"(default: today + {HORIZON_DAYS} days). Late fees accrue as of the earlier "
                "of this date and today."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "generate":  # pragma: no cover - argparse refuses others
            raise CommandError("unknown action")
        today = clock.today()
        through = (
            _date(options["through"])
            if options.get("through")
            else today + dt.timedelta(days=HORIZON_DAYS)
        )
        summary = bills_generate(through=through, today=today)
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))
