"""Benchmark of the work-order analytics over 1,000,000 tickets on PostgreSQL.

Build (skipped with ``--reuse`` when the organization already holds enough tickets):

1. the organization ``wo-bench`` (:func:`build_portfolio`, bulk inserts): ``--units`` units in
   buildings of 200 with coordinates, the equipment fleet (model, batch, install date),
   customers, an administrator and engineers with their skills;
2. ``--tickets`` work orders written with ``COPY``
   (:func:`anzu.common.db.insert_rows`) in chunks of 100,000, in date order over the last
   ``--months`` months: the demo's category mix and seasons (air conditioners in summer, water
   heaters in winter, leaks in June), a portfolio growing by half over the period, 7:00–23:00
   report times, 3 % cancelled, first response / arrival / repair delays that shrink over the
   period (mean response 5.2 h → 1.8 h), equipment linked for appliance, lock and Wi-Fi faults
   when the unit has such a piece, one air-conditioner batch failing three times as often as
   the rest of the fleet, the engineer of the ticket's skill, ``repeat_of`` set like
   :func:`anzu.maintenance.services.ticket_create` (same unit and top-level category,
   completed in the last 30 days) and a rating on 65 % of the finished tickets (scores
   improving over the period). Timeline events, assignments and clocks are not generated for
   them: no analytics figure reads them. ``ANALYZE`` at the end.

Then each analytics computation is timed ``--runs`` times (median, seconds):

- ``metrics_month``: :func:`anzu.maintenance.analytics.month_metrics` of the last full month;
  ``metrics_project`` / ``metrics_category`` / ``metrics_engineer``: the same with one filter;
- ``compare``: two months' metrics and :func:`~anzu.maintenance.analytics.compare` (what the
  metrics page computes), the same month a year apart;
- ``heatmap_12m`` / ``heatmap_24m``: :func:`~anzu.maintenance.analytics.heatmap`;
- ``defective_batches_12m``: :func:`~anzu.maintenance.analytics.defective_batches`;
- ``page_*``: the rendered pages (metrics comparison, heatmap, batches, operations map)
  through the Django test client, logged in as the organization's administrator.

Usage::

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/anzu_wo_bench \\
        .venv/bin/python bench/workorders_analytics.py --recreate-db
    DATABASE_URL=… .venv/bin/python bench/workorders_analytics.py --reuse --runs 5

Prints one JSON object (build figures, medians, the target and which entries exceed it).
``--explain`` also prints the ``EXPLAIN ANALYZE`` of the metrics and heatmap queries to stderr.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ORG = "wo-bench"
CHUNK = 100_000
TARGET_SECONDS = 2.0

# Equipment type linked to a fault category when the unit has one.
EQUIPMENT_FOR = {
    "appliance.ac_not_cooling": "air_conditioner",
    "appliance.water_heater": "water_heater",
    "water_electric.no_hot_water": "water_heater",
    "appliance.washer": "washing_machine",
    "appliance.fridge": "refrigerator",
    "lock.smart_lock": "door_lock",
    "network.wifi": "router",
}
DEFECT_FACTOR = 3.0


def _setup(recreate: bool, reuse: bool) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgresql://… (this benchmark needs PostgreSQL)")
    if recreate:
        from bills_generate import _recreate_postgres

        _recreate_postgres(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anzu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    # Reusing a built database: bring only this app's tables up to date.
    call_command("migrate", *(["maintenance"] if reuse else []), verbosity=0)


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


BRANDS = (
    ("格力", "KFR-35GW"),
    ("美的", "KFR-26GW"),
    ("海尔", "KFR-32GW"),
    ("奥克斯", "KFR-35GW/B"),
)
OTHER_PIECES = (
    ("water_heater", "万和", "JSQ20"),
    ("washing_machine", "小天鹅", "TG100"),
    ("refrigerator", "海尔", "BCD-218"),
    ("door_lock", "德施曼", "Q5"),
    ("router", "华为", "AX3"),
)
SKILLS = ("water_electric", "structure", "appliance", "lock", "network", "other")


def build_portfolio(units: int, seed: int) -> dict[str, int]:
    """The organization ``wo-bench``: 10 projects, buildings of 200 units with coordinates around
    Shanghai, an air conditioner per unit (16 model/batches, installed 1–6 years ago, 5 % during
    the period) and the other appliances on part of the units, customers, an administrator and
    one engineer per 200 units with one to three skills. Bulk inserts."""
    from django.contrib.auth.hashers import make_password

    from anzu.common import clock
    from anzu.common.crypto import blind_index
    from anzu.core.models import Organization, RoleGrant, User
    from anzu.leasing.models import Customer
    from anzu.maintenance.categories import categories_ensure
    from anzu.maintenance.clocks import sla_ensure_default
    from anzu.maintenance.models import EngineerProfile
    from anzu.portfolio.models import Building, Equipment, Project, Unit

    rng = random.Random(seed)
    today = clock.today()
    batch = 5_000
    org = Organization.objects.create(name="工单压测运营主体", slug=ORG)
    categories_ensure(org.pk)
    sla_ensure_default(org.pk)
    projects = Project.objects.bulk_create(
        [Project(organization=org, code=f"WP{p:02d}", name=f"压测项目{p}") for p in range(10)]
    )
    n_buildings = -(-units // 200)
    buildings = Building.objects.bulk_create(
        [
            Building(
                organization=org,
                project=projects[b % len(projects)],
                code=f"WB{b:04d}",
                name=f"{b + 1}号楼",
                latitude=round(31.23 + rng.uniform(-0.2, 0.2), 6),
                longitude=round(121.47 + rng.uniform(-0.25, 0.25), 6),
            )
            for b in range(n_buildings)
        ]
    )
    unit_objs = [
        Unit(
            organization=org,
            project_id=buildings[u // 200].project_id,
            building=buildings[u // 200],
            code=f"{u % 200 // 10 + 1:02d}{u % 10 + 1:02d}",
            floor=u % 200 // 10 + 1,
            area_m2=30,
            list_rent=3000,
        )
        for u in range(units)
    ]
    Unit.objects.bulk_create(unit_objs, batch_size=batch)
    ac_batches = [
        (brand, model, f"{year}{half}-{i:02d}")
        for i, (brand, model) in enumerate(BRANDS)
        for year, half in ((2020, "A"), (2021, "B"), (2022, "A"), (2023, "B"))
    ]
    pieces: list[Equipment] = []
    for unit in unit_objs:
        brand, model, lot = rng.choice(ac_batches)
        installed = today - dt.timedelta(days=rng.randint(365, 6 * 365))
        if rng.random() < 0.05:
            installed = today - dt.timedelta(days=rng.randint(30, 700))
        pieces.append(
            Equipment(
                organization=org,
                building_id=unit.building_id,
                unit=unit,
                type="air_conditioner",
                brand=brand,
                model=model,
                batch=lot,
                installed_on=installed,
            )
        )
        for kind, brand, model in OTHER_PIECES:
            if rng.random() < 0.6:
                pieces.append(
                    Equipment(
                        organization=org,
                        building_id=unit.building_id,
                        unit=unit,
                        type=kind,
                        brand=brand,
                        model=model,
                        batch=f"{rng.randint(2019, 2023)}",
                        installed_on=today - dt.timedelta(days=rng.randint(365, 5 * 365)),
                    )
                )
    Equipment.objects.bulk_create(pieces, batch_size=batch)
    id_hash = blind_index("WOBENCH", purpose="id_number")
    n_customers = max(1, units)
    Customer.objects.bulk_create(
        [
            Customer(
                organization=org,
                kind="person",
                name=f"租客{c}",
                id_type="passport",
                id_number=f"WOB{c:08d}",
                id_number_index=f"{id_hash[:40]}{c:024d}",
            )
            for c in range(n_customers)
        ],
        batch_size=batch,
    )
    unusable = make_password(None)
    admin = User.objects.create(
        username="wo-bench-admin", password=unusable, organization=org, scope_all=True
    )
    RoleGrant.objects.create(user=admin, role="admin")
    n_engineers = max(6, units // 200)
    engineers = User.objects.bulk_create(
        [
            User(
                username=f"wo-bench-eng{e:04d}",
                password=unusable,
                organization=org,
                display_name=f"工程师{e + 1}",
            )
            for e in range(n_engineers)
        ]
    )
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role="engineer") for u in engineers])
    EngineerProfile.objects.bulk_create(
        [
            EngineerProfile(
                user=u,
                organization=org,
                skills=sorted({SKILLS[e % len(SKILLS)], *rng.sample(SKILLS, rng.randint(0, 2))}),
                base_lat=31.23,
                base_lng=121.47,
            )
            for e, u in enumerate(engineers)
        ]
    )
    return {
        "units": units,
        "buildings": n_buildings,
        "equipment": len(pieces),
        "customers": n_customers,
        "engineers": n_engineers,
    }


def build(n_tickets: int, units: int, months: int, seed: int) -> dict[str, Any]:
    """Build the portfolio, then COPY synthetic tickets (and their ratings)."""
    from django.db import connection, transaction

    from anzu.common import clock
    from anzu.common.db import insert_rows
    from anzu.core.models import Organization
    from anzu.demo.maintenance_plan import (
        AC_SEASON,
        CATEGORY_MIX,
        CHANNELS,
        DESCRIPTIONS,
        URGENCIES,
    )
    from anzu.leasing.models import Customer
    from anzu.maintenance.models import Category, EngineerProfile, Rating, Ticket
    from anzu.portfolio.models import Equipment, Unit

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    figures["portfolio"] = build_portfolio(units, seed)
    figures["portfolio_s"] = round(time.perf_counter() - started, 1)

    org = Organization.objects.get(slug=ORG)
    rng = random.Random(seed)
    tz = clock.business_tz(org.time_zone)
    today = clock.today()
    first_day = today - dt.timedelta(days=int(months * 30.44))
    days = [first_day + dt.timedelta(days=i) for i in range((today - first_day).days)]
    wanted = n_tickets
    mix = (*CATEGORY_MIX, ("appliance.ac_not_cooling", 10.0, AC_SEASON))

    unit_rows = list(
        Unit.objects.filter(organization=org).order_by("id").values_list("id", "building_id")
    )
    building_of = dict(unit_rows)
    project_of = dict(
        Unit.objects.filter(organization=org).values_list("building_id", "building__project_id")
    )
    categories = {c.code: c for c in Category.objects.filter(organization=org)}
    skills_of: dict[str, list[int]] = defaultdict(list)
    for user_id, skills in EngineerProfile.objects.filter(organization=org).values_list(
        "user_id", "skills"
    ):
        for skill in skills:
            skills_of[skill].append(user_id)
    customers = list(Customer.objects.filter(organization=org).values_list("id", flat=True))
    pieces: dict[tuple[int, str], tuple[int, dt.date | None]] = {}
    ac_units: list[int] = []
    bad_units: list[int] = []
    batch_sizes: dict[tuple[str, str], int] = defaultdict(int)
    fleet = list(
        Equipment.objects.filter(organization=org, unit__isnull=False)
        .order_by("id")
        .values_list("id", "unit_id", "type", "model", "batch", "installed_on")
    )
    for _eq, _unit, kind, model, batch, _inst in fleet:
        if kind == "air_conditioner":
            batch_sizes[(model, batch)] += 1
    total_ac = sum(batch_sizes.values())
    bad = (
        min(sorted(batch_sizes), key=lambda k: abs(batch_sizes[k] - max(30, total_ac // 10)))
        if batch_sizes
        else None
    )
    for eq_id, unit_id, kind, model, batch, installed in fleet:
        pieces[(unit_id, kind)] = (eq_id, installed)
        if kind == "air_conditioner":
            (bad_units if (model, batch) == bad else ac_units).append(unit_id)
    share = len(bad_units) / max(1, len(bad_units) + len(ac_units))
    bad_pick = DEFECT_FACTOR * share / (DEFECT_FACTOR * share + (1 - share)) if bad_units else 0

    # Tickets per day: growing by half over the period, weekends a little busier.
    day_weights = [
        _lerp(1.0, 1.5, i / len(days)) * (1.15 if d.weekday() >= 5 else 1.0)
        for i, d in enumerate(days)
    ]
    scale = wanted / sum(day_weights)
    codes = [code for code, _w, _season in mix]
    month_cum: dict[int, list[float]] = {}
    for month in range(1, 13):
        acc, cum = 0.0, []
        for _code, weight, season in mix:
            acc += weight * season[month - 1]
            cum.append(acc)
        month_cum[month] = cum
    ch_codes, ch_w = zip(*CHANNELS, strict=True)
    ur_codes, ur_w = zip(*URGENCIES, strict=True)
    columns = [
        "id",
        "organization_id",
        "project_id",
        "building_id",
        "unit_id",
        "number",
        "category_id",
        "urgency",
        "channel",
        "status",
        "description",
        "reporter_customer_id",
        "reporter_name",
        "reporter_phone",
        "reporter_phone_index",
        "equipment_id",
        "assigned_engineer_id",
        "created_by_id",
        "reported_at",
        "first_response_at",
        "on_site_at",
        "completed_at",
        "verified_at",
        "cancelled_at",
        "auto_verify_at",
        "repeat_of_id",
        "version",
        "updated_at",
    ]
    rating_columns = ["ticket_id", "score", "tags", "comment", "customer_id", "at"]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('maintenance_ticket', 'id'),"
            " GREATEST((SELECT COALESCE(MAX(id), 0) FROM maintenance_ticket), 1) + %s)",
            [wanted],
        )
        next_id = int(cur.fetchone()[0]) - wanted + 1
    now = clock.now()
    last_done: dict[tuple[int, str], tuple[int, dt.datetime]] = {}
    tickets: list[tuple[Any, ...]] = []
    ratings: list[tuple[Any, ...]] = []
    written = rated = 0
    started = time.perf_counter()

    def flush() -> None:
        nonlocal written, rated
        with transaction.atomic():
            written += insert_rows(Ticket._meta.db_table, columns, tickets)
            rated += insert_rows(Rating._meta.db_table, rating_columns, ratings)
        tickets.clear()
        ratings.clear()

    carry = 0.0
    for i, day in enumerate(days):
        t = i / len(days)
        carry += day_weights[i] * scale
        count = int(carry)
        carry -= count
        if i == len(days) - 1:
            count = wanted - written - len(tickets)
        cum = month_cum[day.month]
        midnight = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        mean_response = _lerp(5.2, 1.8, t)
        mean_arrive = _lerp(6.0, 2.5, t)
        mean_repair = _lerp(2.0, 1.2, t)
        good_score = _lerp(0.45, 0.9, t)
        times = sorted(rng.uniform(7 * 60, 23 * 60) for _ in range(count))
        for seq, minutes in enumerate(times, start=1):
            code = codes[bisect.bisect(cum, rng.random() * cum[-1])]
            unit_id, building_id = rng.choice(unit_rows)
            equipment_id = None
            kind = EQUIPMENT_FOR.get(code)
            if kind == "air_conditioner" and (ac_units or bad_units):
                pool = bad_units if bad_units and rng.random() < bad_pick else ac_units
                unit_id = rng.choice(pool or bad_units)
                building_id = building_of[unit_id]
            if kind is not None:
                piece = pieces.get((unit_id, kind))
                if piece is not None and (piece[1] is None or piece[1] <= day):
                    equipment_id = piece[0]
            reported = midnight + dt.timedelta(minutes=minutes)
            top = code.split(".", 1)[0]
            response = reported + dt.timedelta(hours=rng.expovariate(1 / mean_response))
            on_site = response + dt.timedelta(hours=rng.expovariate(1 / mean_arrive))
            completed = on_site + dt.timedelta(hours=0.2 + rng.expovariate(1 / mean_repair))
            verified = completed + dt.timedelta(hours=rng.uniform(1, 72))
            cancelled = None
            engineer = rng.choice(skills_of.get(top) or skills_of.get("other") or [None])
            status = "verified"
            if rng.random() < 0.03:
                status, cancelled = "cancelled", response
                on_site = completed = verified = None  # type: ignore[assignment]
                engineer = None
            else:
                if verified > now:
                    status, verified = "completed", None  # type: ignore[assignment]
                if completed > now:
                    status, completed = "on_site", None  # type: ignore[assignment]
                if on_site > now:
                    status, on_site = "engineer_accepted", None  # type: ignore[assignment]
                if response > now:
                    status, response, engineer = "dispatching", None, None  # type: ignore[assignment]
            ticket_id = next_id + written + len(tickets)
            repeat_of = None
            previous = last_done.get((unit_id, top))
            if previous is not None and reported - previous[1] <= dt.timedelta(days=30):
                repeat_of = previous[0]
            if completed is not None:
                last_done[(unit_id, top)] = (ticket_id, completed)
            tickets.append(
                (
                    ticket_id,
                    org.pk,
                    project_of[building_id],
                    building_id,
                    unit_id,
                    f"WO-{day:%Y%m%d}-{10000 + seq}",
                    categories[code].pk,
                    rng.choices(ur_codes, ur_w)[0],
                    rng.choices(ch_codes, ch_w)[0],
                    status,
                    rng.choice(DESCRIPTIONS[code]),
                    None,
                    "",
                    "",
                    "",
                    equipment_id,
                    engineer,
                    None,
                    reported,
                    response,
                    on_site,
                    completed,
                    verified,
                    cancelled,
                    None,
                    repeat_of,
                    1,
                    verified or completed or reported,
                )
            )
            if completed is not None and customers and rng.random() < 0.65:
                if rng.random() < good_score:
                    score = 5
                else:
                    score = rng.choices((4, 3, 2, 1), (50, 25, 15, 10))[0]
                ratings.append(
                    (
                        ticket_id,
                        score,
                        [],
                        "",
                        rng.choice(customers),
                        completed + dt.timedelta(hours=rng.uniform(0.5, 48)),
                    )
                )
            if len(tickets) >= CHUNK:
                flush()
    if tickets:
        flush()
    figures["copy_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with connection.cursor() as cur:
        # What autovacuum does to a loaded table: statistics and the visibility map (index-only
        # scans).
        cur.execute("VACUUM ANALYZE maintenance_ticket")
        cur.execute("VACUUM ANALYZE maintenance_rating")
        cur.execute("VACUUM ANALYZE portfolio_equipment")
    figures["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
    figures.update(
        {
            "tickets_copied": written,
            "ratings_copied": rated,
            "defective_batch": list(bad) if bad else None,
        }
    )
    return figures


def _median(fn: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples), 3)


def measure(runs: int, explain: bool) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from anzu.common import clock
    from anzu.core.models import Organization, RoleGrant
    from anzu.maintenance import analytics
    from anzu.maintenance.models import Ticket

    org = Organization.objects.get(slug=ORG)
    admin = (
        RoleGrant.objects.filter(user__organization=org, role="admin", user__is_active=True)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    if admin is None:
        raise SystemExit("no administrator in the benchmark organization")
    this_month = clock.today().replace(day=1)
    month = analytics.add_months(this_month, -1)
    year_before = analytics.add_months(month, -12)
    busiest = (
        Ticket.objects.filter(organization=org, assigned_engineer_id__isnull=False)
        .values("project_id", "assigned_engineer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    ) or {"project_id": None, "assigned_engineer_id": None}
    project_id, engineer_id = busiest["project_id"], busiest["assigned_engineer_id"]
    f_project = analytics.Filters(project_id=project_id)
    f_category = analytics.Filters(category="appliance")
    f_engineer = analytics.Filters(engineer_id=engineer_id)
    first_12 = analytics.add_months(month, -11)
    first_24 = analytics.add_months(month, -23)
    client = Client()
    client.force_login(admin.user)
    results: dict[str, Any] = {
        "tickets": Ticket.objects.filter(organization=org).count(),
        "month": month.strftime("%Y-%m"),
        "runs": runs,
    }

    def page(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")

    checks = {
        "metrics_month": lambda: analytics.month_metrics(org.pk, month),
        "metrics_project": lambda: analytics.month_metrics(org.pk, month, filters=f_project),
        "metrics_category": lambda: analytics.month_metrics(org.pk, month, filters=f_category),
        "metrics_engineer": lambda: analytics.month_metrics(org.pk, month, filters=f_engineer),
        "compare": lambda: analytics.compare(
            analytics.month_metrics(org.pk, year_before), analytics.month_metrics(org.pk, month)
        ),
        "heatmap_12m": lambda: analytics.heatmap(org.pk, first_12, month),
        "heatmap_24m": lambda: analytics.heatmap(org.pk, first_24, month),
        "defective_batches_12m": lambda: analytics.defective_batches(
            org.pk, first_12, analytics.month_end(month)
        ),
        "page_metrics": lambda: page(
            f"/workorders/analytics/?a={year_before:%Y-%m}&b={month:%Y-%m}"
        ),
        "page_heatmap": lambda: page(
            f"/workorders/analytics/heatmap/?from={first_12:%Y-%m}&to={month:%Y-%m}"
        ),
        "page_batches": lambda: page(
            f"/workorders/analytics/batches/?from={first_12:%Y-%m}&to={month:%Y-%m}"
        ),
        "page_map": lambda: page("/workorders/analytics/map/"),
    }
    timings: dict[str, float] = {}
    for name, fn in checks.items():
        fn()  # warm: plans, caches, translations
        timings[name] = _median(fn, runs)
    results["seconds"] = timings
    results["load_average"] = [round(x, 1) for x in os.getloadavg()]
    results["target_s"] = TARGET_SECONDS
    results["over_target"] = sorted(k for k, v in timings.items() if v > TARGET_SECONDS)
    flagged = [
        (b["model"], b["batch"])
        for b in analytics.defective_batches(org.pk, first_12, analytics.month_end(month))
        if b["flagged"]
    ]
    results["flagged_batches"] = flagged
    results["metrics"] = {
        k: analytics.month_metrics(org.pk, month)[k]
        for k in ("tickets_created", "avg_response_hours", "same_day_close_rate", "repeat_rate")
    }
    if explain:
        from django.db import reset_queries
        from django.test.utils import CaptureQueriesContext

        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            analytics.month_metrics(org.pk, month)
            analytics.heatmap(org.pk, first_12, month)
            analytics.defective_batches(org.pk, first_12, analytics.month_end(month))
        with connection.cursor() as cur:
            for q in ctx.captured_queries:
                if "maintenance_ticket" not in q["sql"] and "maintenance_rating" not in q["sql"]:
                    continue
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                plan = "\n".join(r[0] for r in cur.fetchall())
                print(f"-- {q['sql'][:160]}…\n{plan}\n", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--recreate-db", action="store_true", help="drop and recreate the DB")
    parser.add_argument("--reuse", action="store_true", help="skip the build if already built")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE to stderr")
    args = parser.parse_args()
    _setup(args.recreate_db and not args.reuse, args.reuse)
    from anzu.core.models import Organization
    from anzu.maintenance.models import Ticket

    out: dict[str, Any] = {"tickets_wanted": args.tickets}
    org = Organization.objects.filter(slug=ORG).first()
    have = Ticket.objects.filter(organization=org).count() if org else 0
    if org is not None and args.reuse and have >= args.tickets:
        out["build"] = "reused"
    elif org is not None:
        raise SystemExit(
            f"organization {ORG!r} exists with {have:,} tickets; use --reuse or --recreate-db"
        )
    else:
        started = time.perf_counter()
        out["build"] = build(args.tickets, args.units, args.months, args.seed)
        out["build"]["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(out["build"]), file=sys.stderr, flush=True)
    out.update(measure(args.runs, args.explain))
    print(json.dumps(out, ensure_ascii=False, default=str))
    if not math.isfinite(sum(out["seconds"].values())):
        sys.exit(1)


if __name__ == "__main__":
    main()
