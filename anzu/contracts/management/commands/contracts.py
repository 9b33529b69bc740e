"""``anzu contracts review FILE [--market-rent YUAN_PER_MONTH] [--format json|text]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anzu.contracts.review.cli import FORMATS, run


class Command(BaseCommand):
    help = "Contract jobs. 'review' checks a lease file (.txt, .pdf or image) against the review rules."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rev = sub.add_parser(
            "review",
            help="Extract the key fields of a lease and list the points to check, as JSON or text.",
        )
        rev.add_argument(
            "file", help="The contract: .txt (UTF-8 or GBK), .pdf, .jpg, .png or .tif."
        )
        rev.add_argument(
            "--market-rent",
            dest="market_rent",
            help="Comparable monthly rent in yuan; enables RENT_BELOW_MARKET.",
        )
        rev.add_argument("--format", dest="fmt", choices=FORMATS, default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "review":  # pragma: no cover - argparse refuses others
            raise CommandError("unknown action")
        code = run(
            options["file"],
            options.get("market_rent"),
            options["fmt"],
            stdout=self.stdout,  # type: ignore[arg-type]
            stderr=self.stderr,  # type: ignore[arg-type]
        )
        if code:
            raise SystemExit(code)
