"""``anzu demo seed`` — generate a realistic demo organization; ``anzu demo logins`` — list its
logins; ``anzu demo statement`` — a sample bank statement for its open bills."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anzu.core.models import Organization
from anzu.demo import data, seeding
from anzu.demo.statement import statement_csv

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _slug(value: str) -> str:
    if not _SLUG_RE.match(value):
        raise CommandError(
            f"--org: {value!r} is not a valid slug (lower-case letters, digits and dashes, "
            "at most 40 characters)."
        )
    return value


class Command(BaseCommand):
    help = (
        "Demo data: `seed` generates a demo organization, `logins` lists its logins, "
        "`statement` writes a sample bank statement (CSV) for its open bills."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        seed = sub.add_parser("seed", help="Generate the demo organization (one transaction).")
        seed.add_argument("--units", type=int, default=2000, help="number of units (2000)")
        seed.add_argument("--months", type=int, default=24, help="months of lease history (24)")
        seed.add_argument("--seed", type=int, default=42, help="random seed (42)")
        seed.add_argument("--org", default=data.DEFAULT_SLUG, help="organization slug (demo)")
        seed.add_argument(
            "--skip-if-seeded",
            action="store_true",
            help="exit successfully without changes when the organization already has data",
        )
        seed.add_argument(
            "--no-logins", action="store_true", help="do not print the logins at the end"
        )
        logins = sub.add_parser("logins", help="List the demo logins of an organization.")
        logins.add_argument("--org", default=data.DEFAULT_SLUG, help="organization slug (demo)")
        statement = sub.add_parser(
            "statement", help="Write a sample bank statement (CSV) for the demo's open bills."
        )
        statement.add_argument("--org", default=data.DEFAULT_SLUG, help="organization slug (demo)")
        statement.add_argument(
            "--out", default="-", help="file to write (default: standard output)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = _slug(options["org"])
        if options["subcommand"] == "statement":
            org = Organization.objects.filter(slug=slug).first()
            if org is None or not seeding.is_seeded(slug):
                raise CommandError(f"No demo data for organization {slug!r}; run `anzu demo seed`.")
            text = statement_csv(org)
            if options["out"] == "-":
                self.stdout.write(text, ending="")
            else:
                with open(options["out"], "w", encoding="utf-8") as handle:
                    handle.write(text)
                self.stdout.write(f"Wrote {options['out']}.")
            return
        if options["subcommand"] == "logins":
            found = seeding.logins_for(slug)
            if not found:
                raise CommandError(
                    f"No demo logins for organization {slug!r}; run `anzu demo seed`."
                )
            self._print_logins(found)
            return
        if options["skip_if_seeded"] and seeding.is_seeded(slug):
            self.stdout.write(f"Organization {slug!r} already has data; nothing to do.")
            return
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Seeding {options['units']:,} units and {options['months']} months of leases "
                f"into organization {slug!r} …"
            )
            self.stdout.flush()
        try:
            result = seeding.seed(
                units=options["units"], months=options["months"], seed=options["seed"], slug=slug
            )
        except seeding.SeedRefused as exc:
            raise CommandError(str(exc)) from None
        counts = ", ".join(f"{name} {n:,}" for name, n in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.organization.name} ({slug}) in {result.seconds:.1f} s: {counts}."
            )
        )
        if options["verbosity"] >= 1 and not options["no_logins"]:
            self._print_logins(result.logins)

    def _print_logins(self, logins: list[seeding.Login]) -> None:
        self.stdout.write("Demo logins (password for all: " + data.DEMO_PASSWORD + "):")
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {login.role:<17} {login.username:<{width}}  {login.password}  {login.scope}"
            )
