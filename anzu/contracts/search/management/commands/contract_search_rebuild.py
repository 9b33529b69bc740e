"""``anzu contract_search_rebuild [--organization ID]``: rewrite the contract search rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from anzu.contracts.search import indexing


class Command(BaseCommand):
    help = "Rewrite the contract search rows (of one organization, or all)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--organization", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        written = indexing.rebuild(options["organization"])
        self.stdout.write(f"{written} contracts indexed")
