"""Benchmark of the bill generation run (``anzu bills generate``).

Builds N active leases set-based (bulk inserts of organization, projects, buildings, units,
customers and leases), then times:

1. the first generation run (deposits + every rent period starting on or before --through, late
   fees as of --through on the share of leases that charge them);
2. a second run with the same date (must create nothing);
3. the next day's run (the steady-state daily cost).

With ``--runs N`` (N > 1) the first run is repeated N times on the same leases, the generated
bills and cursors being removed in between (PostgreSQL: ``TRUNCATE`` + ``ANALYZE``; SQLite:
``DELETE``), and the median is reported. On PostgreSQL the script then measures a floor: a bare
``COPY`` of the same bill rows into an empty table with the same columns, indexes and checks
(no foreign keys, no computation), and reports the first run as a multiple of it.

Usage::

    .venv/bin/python bench/bills_generate.py --leases 100000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/anzu_h5 \\
        .venv/bin/python bench/bills_generate.py --leases 1000000 --recreate-db --runs 3

Without DATABASE_URL a fresh SQLite file in a temporary folder is used. ``--recreate-db`` drops
and recreates the PostgreSQL database named in DATABASE_URL first (it must be a scratch
database). Prints one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BATCH = 5000
UNITS_PER_BUILDING = 500
BUILDINGS_PER_PROJECT = 20


def _recreate_postgres(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to recreate database {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup(args: argparse.Namespace) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        home = Path(tempfile.mkdtemp(prefix="anzu-bench-"))
        os.environ["ANZU_HOME"] = str(home)
        url = f"sqlite:///{home / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = url
    elif args.recreate_db and url.startswith("postgres"):
        _recreate_postgres(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anzu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url.split("@")[-1] if "@" in url else url


def _bulk(model: Any, rows: list[Any]) -> list[Any]:
    return model.objects.bulk_create(rows, batch_size=BATCH)


def build(n: int, through: dt.date, late_fee_share: float, seed: int) -> dict[str, Any]:
    """Create n active leases (one per unit) set-based; returns counts."""
    from anzu.common.crypto import blind_index
    from anzu.core.models import Organization
    from anzu.leasing.models import Customer, Lease
    from anzu.portfolio.models import Building, Project, Unit

    rng = random.Random(seed)
    org = Organization.objects.create(name="压测运营主体", slug=f"bench-{int(time.time())}")
    n_buildings = -(-n // UNITS_PER_BUILDING)
    n_projects = -(-n_buildings // BUILDINGS_PER_PROJECT)
    projects = _bulk(
        Project,
        [
            Project(organization=org, code=f"BP{p:04d}", name=f"压测项目{p}")
            for p in range(n_projects)
        ],
    )
    buildings = _bulk(
        Building,
        [
            Building(
                organization=org,
                project=projects[b // BUILDINGS_PER_PROJECT],
                code=f"BB{b:05d}",
                name=f"{b}号楼",
            )
            for b in range(n_buildings)
        ],
    )
    n_customers = max(1, n // 4)
    id_hash = blind_index("BENCH", purpose="id_number")
    for start in range(0, n_customers, BATCH):
        _bulk(
            Customer,
            [
                Customer(
                    organization=org,
                    kind="person",
                    name=f"租客{c}",
                    id_type="passport",
                    id_number=f"BENCH{c:08d}",
                    id_number_index=f"{id_hash[:40]}{c:024d}",
                )
                for c in range(start, min(n_customers, start + BATCH))
            ],
        )
    customer_ids = list(
        Customer.objects.filter(organization=org).order_by("id").values_list("id", flat=True)
    )
    window = 61  # lease starts are spread over the 61 days before --through
    cycles = [1] * 60 + [3] * 25 + [6] * 10 + [12] * 5
    for start in range(0, n, BATCH):
        stop = min(n, start + BATCH)
        units = _bulk(
            Unit,
            [
                Unit(
                    organization=org,
                    project_id=buildings[i // UNITS_PER_BUILDING].project_id,
                    building=buildings[i // UNITS_PER_BUILDING],
                    code=f"{i % UNITS_PER_BUILDING:04d}",
                    floor=1 + (i % UNITS_PER_BUILDING) // 20,
                    area_m2=Decimal("30.00"),
                    list_rent=Decimal("3000.00"),
                    status="occupied",
                )
                for i in range(start, stop)
            ],
        )
        leases = []
        for i, unit in zip(range(start, stop), units, strict=True):
            begin = through - dt.timedelta(days=rng.randrange(window))
            end = begin.replace(year=begin.year + 1) - dt.timedelta(days=1)
            rent = Decimal(rng.randrange(1500, 9000)) + Decimal("0.50") * rng.randrange(2)
            free = rng.random() < 0.1
            escalates = rng.random() < 0.2
            leases.append(
                Lease(
                    organization=org,
                    project_id=unit.project_id,
                    building_id=unit.building_id,
                    unit=unit,
                    customer_id=customer_ids[i % len(customer_ids)],
                    code=f"BL{i:08d}",
                    status="active",
                    start_date=begin,
                    end_date=end,
                    occupied_until=end,
                    monthly_rent=rent,
                    deposit_months=1,
                    pay_months=rng.choice(cycles),
                    deposit=rent,
                    due_day_rule="day_of_month" if rng.random() < 0.3 else "days_before_period",
                    due_day_value=rng.choice([1, 5, 10]),
                    rent_free_periods=(
                        [
                            {
                                "start": begin.isoformat(),
                                "end": (begin + dt.timedelta(days=14)).isoformat(),
                            }
                        ]
                        if free
                        else []
                    ),
                    escalation_pct=Decimal("3.00") if escalates else None,
                    escalation_every_months=12 if escalates else None,
                    late_fee_daily_rate=(
                        Decimal("0.00050") if rng.random() < late_fee_share else Decimal(0)
                    ),
                    late_fee_grace_days=3,
                )
            )
        _bulk(Lease, leases)
    return {
        "projects": n_projects,
        "buildings": n_buildings,
        "units": n,
        "customers": n_customers,
        "leases": n,
    }


def timed(label: str, through: dt.date) -> dict[str, Any]:
    from anzu.billing.generation import bills_generate

    started = time.perf_counter()
    summary = bills_generate(through=through, today=through)
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s {json.dumps(summary)}", file=sys.stderr)
    return {"seconds": round(seconds, 2), **summary}


def reset_bills() -> None:
    """Remove every bill and cursor (a scratch database only), as before the first run."""
    from django.db import connection

    from anzu.billing.models import Bill, BillingCursor

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("TRUNCATE billing_bill, billing_billingcursor CASCADE")
            cur.execute("ANALYZE billing_bill")
            cur.execute("ANALYZE billing_billingcursor")
        return
    BillingCursor.objects.all().delete()
    Bill.objects.filter(source_bill__isnull=False).delete()
    Bill.objects.all().delete()


def copy_floor() -> dict[str, Any]:
    """(PostgreSQL) Seconds to COPY the stored bill rows into an empty look-alike table."""
    from django.db import connection

    from anzu.billing.bulk import BILL_COLUMNS

    columns = ", ".join(BILL_COLUMNS)
    buffer = bytearray()
    with connection.cursor() as cur:
        raw = cur.cursor
        with raw.copy(f"COPY (SELECT {columns} FROM billing_bill ORDER BY id) TO STDOUT") as copy:
            for block in copy:
                buffer += block
        raw.execute("DROP TABLE IF EXISTS bench_bill_floor")
        raw.execute("CREATE TABLE bench_bill_floor (LIKE billing_bill INCLUDING ALL)")
        raw.execute("SELECT count(*) FROM billing_bill")
        (rows,) = raw.fetchone()
        started = time.perf_counter()
        with raw.copy(f"COPY bench_bill_floor ({columns}) FROM STDIN") as copy:
            for start in range(0, len(buffer), 1 << 20):
                copy.write(bytes(buffer[start : start + (1 << 20)]))
        seconds = time.perf_counter() - started
        raw.execute("DROP TABLE bench_bill_floor")
    return {"rows": rows, "seconds": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leases", type=int, default=100_000)
    parser.add_argument("--through", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--late-fee-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--recreate-db", action="store_true")
    parser.add_argument("--runs", type=int, default=1, help="first runs to time (median)")
    args = parser.parse_args()
    database = _setup(args)
    from django.db import connection

    started = time.perf_counter()
    built = build(args.leases, args.through, args.late_fee_share, args.seed)
    build_seconds = time.perf_counter() - started
    print(f"built {built} in {build_seconds:.1f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    firsts = []
    for run in range(args.runs):
        if run:
            reset_bills()
        firsts.append(timed(f"first run #{run + 1}", args.through))
    first = firsts[-1]
    # The floor: the rows of one first run (what the table holds now), copied bare.
    floor = copy_floor() if connection.vendor == "postgresql" else None
    second = timed("second run (same date)", args.through)
    next_day = timed("next day", args.through + dt.timedelta(days=1))
    from anzu.billing.models import Bill

    result = {
        "database": connection.vendor,
        "target": database,
        "leases": args.leases,
        "through": args.through.isoformat(),
        "build_seconds": round(build_seconds, 1),
        "bills_total": Bill.objects.count(),
        "first_run_seconds": [r["seconds"] for r in firsts],
        "first_run_median_seconds": statistics.median(r["seconds"] for r in firsts),
        "first_run": first,
        "second_run": second,
        "next_day_run": next_day,
        "second_run_created_nothing": second["bills_created"] == 0
        and second["late_fee_bills_raised"] == 0,
    }
    if floor is not None:
        result["floor_copy"] = floor
        result["first_run_over_floor"] = round(
            result["first_run_median_seconds"] / floor["seconds"], 2
        )
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
