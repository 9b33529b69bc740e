"""``anzu dunning run|backtest|execute``: the dunning ladder from the command line (JSON out)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anzu.billing.dunning.backtest import policy_backtest
from anzu.billing.dunning.executor import execute_pending
from anzu.billing.dunning.models import PolicyVersion
from anzu.billing.dunning.run import dunning_run
from anzu.common import clock
from anzu.common.errors import ValidationFailed


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Dunning: the daily run (or a dry run), a policy back-test, executing queued actions."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Enter today's stages and queue their actions.")
        run.add_argument("--date", help="Business date (default: today).")
        run.add_argument(
            "--dry-run", action="store_true", help="Print what would happen; write nothing."
        )
        run.add_argument("--org", type=int, help="Only this organization id.")
        back = sub.add_parser("backtest", help="What a policy version would have fired.")
        back.add_argument("--policy", type=int, required=True, help="Policy version id.")
        back.add_argument("--from", dest="start", required=True, help="First date.")
        back.add_argument("--to", dest="end", required=True, help="Last date.")
        back.add_argument(
            "--full", action="store_true", help="Include the per-day table and the sample."
        )
        execute = sub.add_parser("execute", help="Execute queued actions now.")
        execute.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "run":
            on = _date(options["date"], "--date") if options.get("date") else clock.today()
            result: Any = dunning_run(
                on=on, dry_run=options["dry_run"], organization_id=options.get("org")
            )
            result.pop("dry_run", None)
        elif action == "backtest":
            version = PolicyVersion.objects.filter(pk=options["policy"]).first()
            if version is None:
                raise CommandError(f"--policy: no policy version {options['policy']}")
            try:
                result = policy_backtest(
                    version=version,
                    start=_date(options["start"], "--from"),
                    end=_date(options["end"], "--to"),
                )
            except ValidationFailed as exc:
                raise CommandError(f"--{exc.field}: {exc.message}") from None
            if not options["full"]:
                result.pop("by_day")
                result.pop("sample")
        else:
            result = execute_pending(limit=options["limit"])
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
