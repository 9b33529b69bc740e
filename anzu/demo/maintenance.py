"""Demo maintenance: engineers, a year of work orders (工单) and today's open tickets.

Runs inside the seeding transaction, after the leases (and the collections) exist:

1. **Engineers.** The demo engineer login plus about one engineer per 150 units (staff users
   with the engineer role), each with a dispatch profile: skills (top-level category codes),
   a territory (a project; the demo engineer: its three scoped buildings), shifts
   09:00–18:00 every day, a base near their buildings, capacity 5.
2. **A year of tickets** (about 0.6 per unit, :mod:`anzu.demo.maintenance_plan`), written set-based
   with the rows the services would have left: the ticket with its number
   ``WO-YYYYMMDD-NNNN`` (and the ``workorder:<day>`` counters set past them), the timeline
   events, the accepted assignment, the three SLA clocks on the default 24×7 policies,
   ratings, review cases for scores of 2 or less, ``repeat_of`` links computed like
   :func:`anzu.maintenance.services.ticket_create` does (same unit and skill, completed in the
   last 30 days), and the self-help visits of the QR reporting page (some solved by an
   article). Categories follow the seasons: air conditioners fail in July–August, water
   heaters in winter, leaks in the plum-rain season (梅雨, June). Response and repair times
   shrink over the year, so the before/after comparison shows progress.
3. **One defective air-conditioner batch**
   (:func:`anzu.demo.maintenance_plan.defective_batch`): an existing model/batch
   of the fleet fails about five times as often as the rest, so that
   :func:`anzu.maintenance.engine.batches.poisson_flags` flags it (and only it).
4. **Today**: a handful of tickets created through the services in various states, for the
   dispatcher board and the engineer's task page.

Every building gets tickets, in a large seed too (the batch detector compares against the whole
fleet).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import connection
from django.db.models import Count

from anzu.common import clock
from anzu.core.choices import Role, UserKind
from anzu.core.models import Organization, RoleGrant, StaffScope, User
from anzu.demo.maintenance_plan import (
    ALL_SKILLS,
    ENGINEER_NAMES,
    SHIFTS,
    SKILLS_A,
    SKILLS_B,
    UNITS_PER_ENGINEER,
    EngineerRef,
    link_repeats,
    plan_lives,
    plan_tickets,
)
from anzu.demo.maintenance_rows import write_tickets
from anzu.maintenance import clocks as sla_clocks
from anzu.maintenance import dispatching, services
from anzu.maintenance.categories import categories_ensure
from anzu.maintenance.choices import (
    TicketStatus,
    Urgency,
)
from anzu.maintenance.knowledge.models import DeflectionEvent
from anzu.maintenance.models import (
    Assignment,
    EngineerProfile,
    Rating,
    SlaClock,
    Ticket,
    TicketEvent,
)
from anzu.portfolio.models import Building, Unit

S = TicketStatus

# Public entry point ---------------------------------------------------------------------------


def seed_maintenance(
    *,
    org: Organization,
    today: dt.date,
    seed_value: int,
    units: int,
    users: dict[str, User],
) -> dict[str, int]:
    """Engineers, a year of tickets and today's tickets of a freshly seeded organization."""
    rng = random.Random(seed_value * 104_729 + 3)  # its own stream
    now = clock.now()
    org_id = org.pk
    counts: dict[str, int] = {}
    categories = categories_ensure(org_id)
    sla_clocks.sla_ensure_default(org_id)
    dispatching.dispatch_rule(org_id)
    buildings = _buildings(org, units)
    engineers = _write_engineers(rng, org=org, buildings=buildings, demo_engineer=users["engineer"])
    counts["engineers"] = len(engineers)

    start = today - dt.timedelta(days=365)
    plans = plan_tickets(rng, org=org, today=today, now=now, start=start, buildings=buildings)
    plan_lives(rng, plans, engineers=engineers, buildings=buildings, now=now, start=start)
    link_repeats(plans, categories={c: categories[c].skill for c in categories})
    counts.update(write_tickets(rng, org=org, plans=plans, categories=categories, now=now))
    counts.update(_seed_today(rng, org=org, engineers=engineers, buildings=buildings, users=users))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (Ticket, TicketEvent, Assignment, SlaClock, Rating, DeflectionEvent):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def _buildings(org: Organization, units: int) -> dict[int, tuple[int, float, float]]:
    """The buildings that get tickets — all of them: id → (project id, latitude, longitude).

    Every building, even in a large seed: the defective-batch detector weighs failures against
    the whole fleet's equipment, so failures drawn from part of the fleet would make every model
    concentrated there look defective.
    """
    rows = Building.objects.filter(organization=org).order_by("id")
    return {
        b_id: (p_id, float(lat or 31.23), float(lng or 121.47))
        for b_id, p_id, lat, lng in rows.values_list("id", "project_id", "latitude", "longitude")
    }


# Engineers ------------------------------------------------------------------------------------


def _write_engineers(
    rng: random.Random,
    *,
    org: Organization,
    buildings: dict[int, tuple[int, float, float]],
    demo_engineer: User,
) -> list[EngineerRef]:
    unit_counts = dict(
        Unit.objects.filter(organization=org, building_id__in=list(buildings))
        .values_list("building_id")
        .annotate(n=Count("id"))
    )
    by_project: dict[int, list[int]] = defaultdict(list)
    for b_id, (p_id, _lat, _lng) in buildings.items():
        by_project[p_id].append(b_id)
    demo_buildings = sorted(
        StaffScope.objects.filter(user=demo_engineer, building__isnull=False).values_list(
            "building_id", flat=True
        )
    )
    engineers = [EngineerRef(demo_engineer.pk, list(ALL_SKILLS), [], demo_buildings)]
    extra: list[tuple[int, list[str]]] = []  # (project id, skills)
    for p_id in sorted(by_project):
        project_units = sum(unit_counts.get(b, 0) for b in by_project[p_id])
        wanted = round(project_units / UNITS_PER_ENGINEER)
        if demo_buildings and buildings.get(demo_buildings[0], (None,))[0] == p_id:
            wanted -= 1
        n = max(1, wanted)
        for i in range(n):
            extra.append((p_id, list(ALL_SKILLS) if n == 1 else (SKILLS_A, SKILLS_B)[i % 2]))
    password = demo_engineer.password
    new_users = User.objects.bulk_create(
        [
            User(
                username=f"{org.slug}-engineer-{i + 2:02d}",
                password=password,
                organization=org,
                kind=UserKind.STAFF,
                display_name=f"{ENGINEER_NAMES[i % len(ENGINEER_NAMES)]}师傅",
                scope_all=False,
            )
            for i in range(len(extra))
        ]
    )
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role=Role.ENGINEER) for u in new_users])
    StaffScope.objects.bulk_create(
        [
            StaffScope(user=u, project_id=p_id)
            for u, (p_id, _skills) in zip(new_users, extra, strict=True)
        ]
    )
    engineers += [
        EngineerRef(u.pk, skills, [p_id], [])
        for u, (p_id, skills) in zip(new_users, extra, strict=True)
    ]
    profiles = []
    for engineer in engineers:
        home = engineer.building_ids or sorted(by_project[engineer.project_ids[0]])
        _p, lat, lng = buildings.get(home[0], (0, 31.23, 121.47))
        profiles.append(
            EngineerProfile(
                user_id=engineer.user_id,
                organization=org,
                skills=engineer.skills,
                project_ids=engineer.project_ids,
                building_ids=engineer.building_ids,
                shifts=SHIFTS,
                base_lat=round(lat + rng.uniform(-0.01, 0.01), 6),
                base_lng=round(lng + rng.uniform(-0.01, 0.01), 6),
                capacity=5,
            )
        )
    EngineerProfile.objects.bulk_create(profiles)
    return engineers


# Today ----------------------------------------------------------------------------------------


def _seed_today(
    rng: random.Random,
    *,
    org: Organization,
    engineers: list[EngineerRef],
    buildings: dict[int, tuple[int, float, float]],
    users: dict[str, User],
) -> dict[str, int]:
    """A handful of tickets reported today through the services, left in various states: the
    demo engineer has an offer, an accepted job, one on site and one done; the board has new
    and unassigned tickets."""
    demo = users["engineer"]
    dispatcher = users["customer_service"]
    mine = engineers[0].building_ids
    units = list(
        Unit.objects.filter(organization=org, building_id__in=mine or list(buildings))
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not units:
        return {"tickets_today": 0}
    picks = [units[(k * 7919 + rng.randrange(len(units))) % len(units)] for k in range(7)]
    plan = (
        ("water_electric.leak", Urgency.URGENT, "completed", "卫生间地漏反水，楼下反映渗水"),
        ("appliance.ac_not_cooling", Urgency.NORMAL, "on_site", "空调不制冷，只吹风"),
        ("lock.smart_lock", Urgency.NORMAL, "engineer_accepted", "智能门锁没电打不开"),
        ("network.wifi", Urgency.LOW, "offered", "网速很慢，经常掉线"),
        ("water_electric.toilet_blocked", Urgency.NORMAL, "offered", "马桶堵塞，冲水下不去"),
        ("structure.door_window", Urgency.LOW, "accepted", "阳台推拉门卡住"),
        ("water_electric.breaker_tripped", Urgency.EMERGENCY, "accepted", "全屋断电，空开合不上"),
    )
    count = 0
    for unit_id, (code, urgency, state, text) in zip(picks, plan, strict=True):
        ticket = services.ticket_create(
            organization_id=org.pk,
            unit_id=unit_id,
            category_code=code,
            description=text,
            channel="phone",
            urgency=urgency,
            reporter_name="租客来电",
            by=dispatcher,
        )
        count += 1
        if state == "accepted":
            continue
        assignment = dispatching.ticket_assign_override(
            ticket=ticket, engineer=demo, by=dispatcher, reason="辖区工程师，就近派单"
        )
        if state == "offered":
            continue
        dispatching.assignment_accept(assignment=assignment, by=demo)
        if state == "engineer_accepted":
            continue
        ticket.refresh_from_db()
        ticket = services.ticket_transition(ticket=ticket, to=S.ON_SITE, by=demo)
        if state == "completed":
            services.ticket_transition(
                ticket=ticket, to=S.COMPLETED, by=demo, note="已疏通更换密封圈"
            )
    return {"tickets_today": count}
