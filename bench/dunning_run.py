"""Benchmark of the daily dunning run (``anzu dunning run --date D``).

Builds N active leases set-based (the lease builder of ``bills_generate.py``), then 12 monthly
rent bills per lease straight in SQL: due dates 30 days apart, spread over the month by lease,
the last one due in the coming 30 days. Every past bill is paid except on a delinquent share of
leases (default 8%), which owe their last one or two bills. Then it times:

1. ``floor``: one SQL query selecting the same overdue set the run reads — open, unpaid bills
   due in the policy's window — fetched to the client;
2. the first run ever (``--date`` − 1): every overdue bill catches up on its required stages;
3. the daily run on ``--date`` (the steady state: today's transitions and actions);
4. a second run on ``--date`` (must create nothing).

Runs 3 and 4 are repeated ``--repeat`` times on fresh days (date, date+1, …) and the medians
reported, each against a floor query timed right before it in the same process. Before each of
these days (untimed, set-based), the punctual leases — all but the delinquent share — pay in
full every bill falling due on or before that day, so the days keep the delinquency the data
was built with; ``--no-payments`` leaves every later bill unpaid instead (every lease then
turns delinquent day after day, and each day enters every overdue stage for a thirtieth of
the leases).

Usage::

    .venv/bin/python bench/dunning_run.py --leases 100000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/anzu_bench_dunning \\
        .venv/bin/python bench/dunning_run.py --leases 1000000 --recreate-db

Prints one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bills_generate import _setup, build


def insert_bills(run_date: dt.date, delinquent_pct: int) -> int:
    """12 rent bills per lease, in one INSERT … SELECT."""
    from django.db import connection, transaction

    base = run_date - dt.timedelta(days=330)
    pg = connection.vendor == "postgresql"
    months = (
        "generate_series(0, 11) AS m(m)"
        if pg
        else "(WITH RECURSIVE s(m) AS (SELECT 0 UNION ALL SELECT m + 1 FROM s WHERE m < 11) "
        "SELECT m FROM s) AS m"
    )
    due = (
        "(%s::date + (l.id %% 30)::int + 30 * m.m)"
        if pg
        else "date(%s, '+' || ((l.id % 30) + 30 * m.m) || ' days')"
    )
    end = f"({due} + 29)" if pg else "date(%s, '+' || ((l.id % 30) + 30 * m.m + 29) || ' days')"
    # Unpaid: the future bill (m = 11), and on delinquent leases the last past bill (m = 10),
    # on half of them the one before as well (m = 9).
    unpaid = (
        f"(m.m = 11 OR (l.id %% 100 < {delinquent_pct} AND (m.m = 10 OR (m.m = 9 AND l.id %% 2 = 0))))"
        if pg
        else f"(m.m = 11 OR (l.id % 100 < {delinquent_pct} AND (m.m = 10 OR (m.m = 9 AND l.id % 2 = 0))))"
    )
    # A year of history: each bill was written a month before it fell due, and a paid bill
    # last changed on its due date (not all at the build's own time).
    created = (
        "(%s::date + (l.id %% 30)::int + 30 * m.m - 30)::timestamp AT TIME ZONE 'UTC'"
        if pg
        else "datetime(%s, ((l.id % 30) + 30 * m.m - 30) || ' days')"
    )
    changed = (
        f"CASE WHEN {unpaid} THEN {created} ELSE ({due})::timestamp AT TIME ZONE 'UTC' END"
        if pg
        else f"CASE WHEN {unpaid} THEN {created} ELSE datetime({due}) END"
    )
    sql = f"""
        INSERT INTO billing_bill (organization_id, lease_id, project_id, building_id, unit_id,
            customer_id, kind, period_start, period_end, due_date, amount, paid_amount, status,
            description, created_at, updated_at)
        SELECT l.organization_id, l.id, l.project_id, l.building_id, l.unit_id, l.customer_id,
            'rent', {due}, {end}, {due}, l.monthly_rent,
            CASE WHEN {unpaid} THEN 0 ELSE l.monthly_rent END,
            CASE WHEN {unpaid} THEN 'open' ELSE 'paid' END, '', {created}, {changed}
        FROM leasing_lease l CROSS JOIN {months}
    """
    params = [base.isoformat()] * sql.count("%s")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.rowcount)


def pay_on_time(organization_id: int, day: dt.date, delinquent_pct: int) -> int:
    """The punctual leases pay every bill due on or before ``day`` in full (one UPDATE, as a
    bank-statement import would); returns how many bills were paid."""
    from django.db import connection, transaction

    from anzu.common import clock

    mod = "%%" if connection.vendor == "postgresql" else "%"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE billing_bill SET paid_amount = amount, status = 'paid', updated_at = %s "
            "WHERE organization_id = %s AND status = 'open' AND due_date <= %s "
            f"AND lease_id {mod} 100 >= %s",
            [connection.ops.adapt_datetimefield_value(clock.now()), organization_id, day,
             delinquent_pct],
        )  # fmt: skip
        return int(cur.rowcount)


def floor(organization_id: int, run_date: dt.date) -> tuple[float, int]:
    """One SQL query selecting the overdue set the run reads, fetched; (seconds, rows)."""
    from django.db import connection

    from anzu.billing.dunning.policies import compiled, policy_published, unsaved_default
    from anzu.billing.dunning.run import window

    version = policy_published(organization_id) or unsaved_default(organization_id)
    lo, hi = window(compiled(version), run_date)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, lease_id, due_date, amount - paid_amount FROM billing_bill "
            "WHERE organization_id = %s AND status = 'open' AND due_date >= %s "
            "AND due_date <= %s AND amount > paid_amount",
            [organization_id, lo, hi],
        )
        rows = cur.fetchall()
    return time.perf_counter() - started, len(rows)


def timed_run(run_date: dt.date) -> tuple[float, dict[str, Any]]:
    from anzu.billing.dunning.run import dunning_run

    started = time.perf_counter()
    summary = dunning_run(on=run_date)
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leases", type=int, default=100_000)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--delinquent-pct", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--recreate-db", action="store_true")
    parser.add_argument(
        "--no-payments",
        action="store_true",
        help="No payments between the timed days (every lease turns delinquent).",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the data of an earlier run (PostgreSQL): skip the build and the first run; "
        "--date must then be a day not run yet.",
    )
    args = parser.parse_args()
    database = _setup(args)
    from django.db import connection

    from anzu.billing.models import Bill
    from anzu.core.models import Organization
    from anzu.leasing.models import Lease

    started = time.perf_counter()
    if args.reuse and Bill.objects.exists():
        bills = Bill.objects.count()
        print(f"reusing {bills} bills", file=sys.stderr)
    else:
        built = build(args.leases, args.date, 0.0, args.seed)
        bills = insert_bills(args.date, args.delinquent_pct)
        # The leases were signed before their first bill, not at the build's own time.
        signed = dt.datetime.combine(args.date - dt.timedelta(days=365), dt.time(), dt.UTC)
        Lease.objects.update(created_at=signed, updated_at=signed)
        print(f"built {built}, {bills} bills", file=sys.stderr)
    build_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    org_id = Organization.objects.order_by("-id").values_list("id", flat=True)[0]
    first_seconds, first = 0.0, {}
    if not args.reuse:
        first_seconds, first = timed_run(args.date - dt.timedelta(days=1))
        print(f"first run ever: {first_seconds:.2f} s {json.dumps(first)}", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    daily: list[dict[str, Any]] = []
    for i in range(args.repeat):
        day = args.date + dt.timedelta(days=i)
        paid = 0 if args.no_payments else pay_on_time(org_id, day, args.delinquent_pct)
        floor_seconds, floor_rows = floor(org_id, day)
        run_seconds, summary = timed_run(day)
        again_seconds, again = timed_run(day)
        row = {
            "date": day.isoformat(),
            "paid_before_run": paid,
            "floor_seconds": round(floor_seconds, 3),
            "floor_rows": floor_rows,
            "run_seconds": round(run_seconds, 3),
            "ratio_to_floor": round(run_seconds / floor_seconds, 2),
            "second_run_seconds": round(again_seconds, 3),
            "second_to_first": round(again_seconds / run_seconds, 3),
            "summary": summary,
            "second_run_created": again["actions_created"],
        }
        print(json.dumps(row), file=sys.stderr)
        daily.append(row)
    result = {
        "database": connection.vendor,
        "target": database,
        "leases": args.leases,
        "bills": bills,
        "build_seconds": round(build_seconds, 1),
        "first_run_ever": {"seconds": round(first_seconds, 2), **first},
        "daily": daily,
        "median_run_seconds": statistics.median(r["run_seconds"] for r in daily),
        "median_floor_seconds": statistics.median(r["floor_seconds"] for r in daily),
        "median_ratio_to_floor": statistics.median(r["ratio_to_floor"] for r in daily),
        "median_second_to_first": statistics.median(r["second_to_first"] for r in daily),
        "second_runs_created_nothing": all(r["second_run_created"] == 0 for r in daily),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
