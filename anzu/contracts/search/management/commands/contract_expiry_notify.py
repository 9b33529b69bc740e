"""``anzu contract_expiry_notify [--date YYYY-MM-DD]``: send the due expiry notices now."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand

from anzu.contracts.search import services


class Command(BaseCommand):
    help = "Notify the people responsible about contracts ending in 90, 60, 30 and 7 days."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = services.expiry_notify_run(today=options["date"])
        self.stdout.write(json.dumps(counts))
