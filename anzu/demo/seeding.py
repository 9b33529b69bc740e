"""Demo data: one operator in Shanghai with projects, buildings, units, equipment, customers,
leases over the past months, a login for every role, and the collections of the last months —
bills, payments, dunning (:mod:`anzu.demo.collecting`).

The generator is deterministic: the same ``seed`` and the same business date give the same data
(identifiers aside). It is set-based: rows are generated in memory and written with a handful of
bulk inserts inside one transaction, and one summary audit event (``demo.seed``) records the run
and the counts. The collections part also calls the billing and dunning jobs and services
(generation, daily runs, action execution, pauses, calls, a charge), which audit themselves.

Invariants kept by construction and checked by the tests:

* leases of one unit never overlap on ``[start_date, occupied_until]``;
* lease status matches the business date: ``active`` leases cover today, ``expired`` and
  ``terminated`` ones lie in the past, ``draft`` and ``pending_approval`` ones start later;
* unit status is what :func:`anzu.leasing.services.unit_refresh_status` would derive;
* lease numbers follow ``L<year>-<n>`` and the ``lease-<year>`` counters are set past them, so
  leases created later by the services continue the sequence.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from anzu.billing.models import Allocation, Bill, Payment
from anzu.common import clock
from anzu.core import audit
from anzu.core.choices import Role, UserKind
from anzu.core.models import Counter, Organization, RoleGrant, StaffScope, User
from anzu.demo import collecting, data
from anzu.demo import maintenance as demo_maintenance
from anzu.demo.bulk import allocate_ids, blind_indexer, encryptor, insert_rows
from anzu.demo.plan import Plan, add_months, make_plan, weighted
from anzu.leasing.choices import DueDayRule, LeaseStatus
from anzu.leasing.models import Customer, Lease
from anzu.portfolio.models import Building, Equipment, Project, Unit

MAX_UNITS = 2_000_000
MAX_MONTHS = 120


class SeedRefused(Exception):
    """Seeding would mix demo data into existing data, or the arguments are out of range."""


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    scope: str


@dataclass
class SeedResult:
    organization: Organization
    counts: dict[str, int]
    logins: list[Login]
    seconds: float = 0.0


# Public entry point ---------------------------------------------------------------------------


def seed(
    *,
    units: int = 2000,
    months: int = 24,
    seed: int = 42,
    slug: str = data.DEFAULT_SLUG,
    today: dt.date | None = None,
    collections: bool = True,
    maintenance: bool = True,
    risk: bool = True,
) -> SeedResult:
    """Generate and store the demo organization. Refuses to touch an organization with data.

    ``collections``: also bills, payments and the last weeks of dunning
    (:mod:`anzu.demo.collecting`); without them only the portfolio, customers, leases and logins.
    ``maintenance``: also engineers, a year of work orders and today's tickets
    (:mod:`anzu.demo.maintenance`).
    ``risk`` (with ``collections``): also login history, a frozen former employee, approval
    requests (:mod:`anzu.demo.risk`) and, queued for the worker, lease contracts out for or
    through e-signature (:mod:`anzu.demo.signing`).
    """
    if not 1 <= units <= MAX_UNITS:
        raise SeedRefused(f"--units must be between 1 and {MAX_UNITS}, got {units}.")
    if not 1 <= months <= MAX_MONTHS:
        raise SeedRefused(f"--months must be between 1 and {MAX_MONTHS}, got {months}.")
    _refuse_if_taken(slug)  # before the work of generating
    started = time.perf_counter()
    day = today or clock.today()
    rng = random.Random(seed)
    plan = make_plan(rng, units=units, months=months, today=day)
    with transaction.atomic():
        org = _organization(slug)
        result = _write(
            plan, rng, org=org, today=day, seed_value=seed, months=months,
            collections=collections, maintenance=maintenance, risk=risk,
        )  # fmt: skip
    _vacuum_after_bulk_load()
    result.seconds = time.perf_counter() - started
    return result


def _vacuum_after_bulk_load() -> None:
    """PostgreSQL: set the visibility map of the freshly loaded tables so that counts and
    list pages can use index-only scans at once (outside a transaction, so not in tests)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cur:
        for model in (Unit, Customer, Lease, Bill, Payment, Allocation):
            cur.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def usernames_for(slug: str) -> dict[str, str]:
    """The demo logins' usernames for an organization slug, by role (plus ``tenant``)."""
    names = {role: f"{slug}-{role.replace('_', '-')}" for role, _label in data.STAFF_ROLES}
    names["tenant"] = f"{slug}-tenant"
    return names


def is_seeded(slug: str) -> bool:
    org = Organization.objects.filter(slug=slug).first()
    return org is not None and _has_data(org)


def logins_for(slug: str) -> list[Login]:
    """The demo logins that exist for ``slug`` (for printing after the first run)."""
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        return []
    names = usernames_for(slug)
    existing = {
        u.username: u for u in User.objects.filter(organization=org, username__in=names.values())
    }
    logins = []
    for role, username in names.items():
        if username in existing:
            logins.append(
                Login(role, username, data.DEMO_PASSWORD, _scope_label(existing[username]))
            )
    return logins


def _scope_label(user: User) -> str:
    if user.kind == UserKind.TENANT:
        customer = user.customer
        return f"租客 {customer.name if customer is not None else ''}".strip()
    if user.scope_all:
        return "全组织"
    parts = []
    for scope in user.scopes.select_related("project", "building", "building__project"):
        if scope.project_id:
            parts.append(str(scope.project))
        elif scope.building is not None:
            parts.append(f"{scope.building.project.name} {scope.building.name}")
    return "；".join(parts)


# Organization guard -------------------------------------------------------------------------


def _has_data(org: Organization) -> bool:
    return (
        Project.objects.filter(organization=org).exists()
        or Customer.objects.filter(organization=org).exists()
        or Lease.objects.filter(organization=org).exists()
    )


def _refuse_if_taken(slug: str) -> Organization | None:
    """The empty organization to seed into (``None``: create it), or :class:`SeedRefused`."""
    org = Organization.objects.filter(slug=slug).first()
    if org is not None and _has_data(org):
        raise SeedRefused(
            f"Organization {slug!r} already has data; demo data is only seeded into an empty "
            f"organization. Use another --org slug or a fresh database."
        )
    taken = sorted(
        User.objects.filter(username__in=usernames_for(slug).values()).values_list(
            "username", flat=True
        )
    )
    if taken:
        raise SeedRefused(f"Username {taken[0]!r} is already taken; choose another --org slug.")
    return org


def _organization(slug: str) -> Organization:
    org = _refuse_if_taken(slug)  # again, inside the transaction
    if org is None:
        org = Organization.objects.create(name=data.ORG_NAME, slug=slug, time_zone="Asia/Shanghai")
    return org


# Writing ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.business_tz("Asia/Shanghai"))


def _write(
    plan: Plan,
    rng: random.Random,
    *,
    org: Organization,
    today: dt.date,
    seed_value: int,
    months: int,
    collections: bool,
    maintenance: bool = False,
    risk: bool = False,
) -> SeedResult:
    now = clock.now()
    counts: dict[str, int] = {}

    projects = Project.objects.bulk_create(
        [
            Project(
                organization=org,
                code=p["site"].code,
                name=p["site"].name,
                city=data.CITY,
                district=p["site"].district,
            )
            for p in plan.projects
        ]
    )
    counts["projects"] = len(projects)
    buildings = Building.objects.bulk_create(
        [
            Building(
                organization=org,
                project=projects[b["project"]],
                code=b["code"],
                name=b["name"],
                address=b["address"],
                latitude=b["latitude"],
                longitude=b["longitude"],
                floors=b["floors"],
            )
            for b in plan.buildings
        ],
        batch_size=500,
    )
    counts["buildings"] = len(buildings)
    project_ids = [p.pk for p in projects]
    building_ids = [b.pk for b in buildings]

    # Units.
    org_id = org.pk
    unit_ids = allocate_ids(Unit, len(plan.units))
    counts["units"] = insert_rows(
        Unit,
        (
            "id", "organization_id", "project_id", "building_id", "code", "floor", "area_m2",
            "layout", "list_rent", "status", "created_at", "updated_at",
        ),
        (
            (
                unit_ids[i], org_id, project_ids[plan.unit_project[i]],
                building_ids[plan.unit_building[i]], u[0], u[1], u[2], u[3], Decimal(u[4]), u[5],
                now, now,
            )
            for i, u in enumerate(plan.units)
        ),
    )  # fmt: skip

    counts["equipment"] = _write_equipment(
        plan, rng, org=org, unit_ids=unit_ids, building_ids=building_ids, now=now
    )

    # Customers: personal data encrypted, blind indexes for look-ups.
    customer_ids = allocate_ids(Customer, len(plan.customers))
    encrypt = encryptor()
    id_index, phone_index = blind_indexer("id_number"), blind_indexer("phone")
    counts["customers"] = insert_rows(
        Customer,
        (
            "id", "organization_id", "project_id", "kind", "name", "id_type", "id_number",
            "id_number_index", "phone", "phone_index", "email", "wechat_openid", "tags", "notes",
            "created_at", "updated_at",
        ),
        (
            (
                customer_ids[i], org_id, project_ids[c[0]], c[1], c[2], c[3], encrypt(c[4]),
                id_index(c[4]), encrypt(c[5]), phone_index(c[5]), c[6], "",
                json.dumps(c[7], ensure_ascii=False), "", now, now,
            )
            for i, c in enumerate(plan.customers)
        ),
    )  # fmt: skip

    # Staff and tenant logins.
    logins, by = _write_users(
        plan, org=org, projects=projects, buildings=buildings, customer_ids=customer_ids
    )
    counts["users"] = len(logins)

    counts["leases"] = _write_leases(
        plan, rng, org=org, today=today, now=now, by=by, unit_ids=unit_ids,
        customer_ids=customer_ids, project_ids=project_ids, building_ids=building_ids,
    )  # fmt: skip

    if connection.vendor == "postgresql":
        # Fresh planner statistics: without them the first queries over the bulk-loaded tables
        # pick plans made for empty tables.
        with connection.cursor() as cur:
            for model in (Project, Building, Unit, Equipment, Customer, Lease, User):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    if collections:
        _write_collections(
            plan,
            org=org,
            today=today,
            seed_value=seed_value,
            counts=counts,
            customer_ids=customer_ids,
        )
    if maintenance:
        names = usernames_for(org.slug)
        counts.update(
            demo_maintenance.seed_maintenance(
                org=org,
                today=today,
                seed_value=seed_value,
                units=len(plan.units),
                users={
                    str(role): User.objects.get(username=names[role])
                    for role in (Role.ENGINEER, Role.CUSTOMER_SERVICE, Role.MANAGEMENT)
                },
            )
        )
    # Archived lease contracts (text, reviewed; no OCR): anzu.contracts.demo.
    from anzu.contracts.demo import seed_contracts

    seed_contracts(org)
    if risk and collections:
        _write_risk(
            org=org,
            today=today,
            seed_value=seed_value,
            counts=counts,
            tenant_customer_id=customer_ids[plan.tenant_customer],
        )
    audit.record(
        action="demo.seed",
        obj=org,
        organization=org,
        actor=None,
        changes={
            "seed": seed_value,
            "months": months,
            "today": today.isoformat(),
            "counts": counts,
        },
    )
    return SeedResult(organization=org, counts=counts, logins=logins)


def _write_collections(
    plan: Plan,
    *,
    org: Organization,
    today: dt.date,
    seed_value: int,
    counts: dict[str, int],
    customer_ids: list[int],
) -> None:
    """Bills, payments and the last weeks of dunning (:mod:`anzu.demo.collecting`)."""
    names = usernames_for(org.slug)
    staff: dict[str, User] = {
        str(role): User.objects.get(username=names[role])
        for role in (Role.MANAGEMENT, Role.FINANCE, Role.CUSTOMER_SERVICE)
    }
    counts.update(
        collecting.seed_collections(
            org=org,
            today=today,
            seed_value=seed_value,
            units=len(plan.units),
            tenant_customer_id=customer_ids[plan.tenant_customer],
            users=staff,
        )
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (Bill, Payment, Allocation):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _write_risk(
    *,
    org: Organization,
    today: dt.date,
    seed_value: int,
    counts: dict[str, int],
    tenant_customer_id: int,
) -> None:
    """Login history, the former employee, approvals (:mod:`anzu.demo.risk`), through the
    services, replayed over the last weeks; the lease contracts (:mod:`anzu.demo.signing`) are
    queued for the worker."""
    from anzu.demo import risk

    names = usernames_for(org.slug)
    staff: dict[str, User] = {
        str(role): User.objects.get(username=names[role])
        for role in (Role.ADMIN, Role.MANAGEMENT, Role.FINANCE)
    }
    counts.update(risk.seed_risk(org=org, today=today, seed_value=seed_value, users=staff))
    # Lease contracts: two PDFs and three signatures, queued for the worker (anzu.demo.tasks).
    from anzu.demo import tasks

    org_id, day = org.pk, today.isoformat()
    transaction.on_commit(lambda: tasks.demo_agreements(org_id, day, tenant_customer_id))


def _write_equipment(
    plan: Plan,
    rng: random.Random,
    *,
    org: Organization,
    unit_ids: list[int],
    building_ids: list[int],
    now: dt.datetime,
) -> int:
    # One fleet per project and type: a brand/model, an original batch at opening and a
    # replacement batch a year or two later for part of the units.
    fleets: dict[tuple[int, str], list[tuple[str, str, str, dt.date]]] = {}
    for p_index, project in enumerate(plan.projects):
        site = project["site"]
        opened: dt.date = project["opened"]
        catalogue = dict(data.UNIT_EQUIPMENT) | dict(data.BUILDING_EQUIPMENT)
        for kind, options in catalogue.items():
            brand, model = options[rng.randrange(len(options))]
            first = opened - dt.timedelta(days=rng.randint(10, 40))
            second = add_months(first, rng.randint(12, 30))
            fleets[(p_index, kind)] = [
                (brand, model, f"{first:%Y%m}-{site.code}-A", first),
                (brand, model, f"{second:%Y%m}-{site.code}-B", second),
            ]
    serial = itertools.count(1)
    org_id = org.pk

    def rows() -> Any:
        for b_index, building in enumerate(plan.buildings):
            p_index = building["project"]
            lifts = 0 if building["floors"] <= 6 else (3 if building["floors"] > 18 else 2)
            for kind, count in (("elevator", lifts), ("water_pump", 1)):
                brand, model, batch, installed = fleets[(p_index, kind)][0]
                for _ in range(count):
                    yield (
                        org_id, building_ids[b_index], None, kind, brand, model, batch,
                        f"SN{installed:%y%m}{next(serial):08d}", installed, now, now,
                    )  # fmt: skip
        for u_index, unit in enumerate(plan.units):
            p_index = plan.unit_project[u_index]
            b_id = building_ids[plan.unit_building[u_index]]
            kinds = ["air_conditioner", "water_heater", "door_lock", "router"]
            if unit[3] == "两室一厅":
                kinds.append("air_conditioner")
            if plan.projects[p_index]["site"].kind == "长租公寓":
                kinds += ["washing_machine", "refrigerator"]
            for kind in kinds:
                wave = 1 if rng.random() < 0.18 else 0
                brand, model, batch, installed = fleets[(p_index, kind)][wave]
                yield (
                    org_id, b_id, unit_ids[u_index], kind, brand, model, batch,
                    f"SN{installed:%y%m}{next(serial):08d}",
                    installed + dt.timedelta(days=u_index % 21), now, now,
                )  # fmt: skip

    return insert_rows(
        Equipment,
        (
            "organization_id", "building_id", "unit_id", "type", "brand", "model", "batch",
            "serial_number", "installed_on", "created_at", "updated_at",
        ),
        rows(),
    )  # fmt: skip


def _write_users(
    plan: Plan,
    *,
    org: Organization,
    projects: list[Project],
    buildings: list[Building],
    customer_ids: list[int],
) -> tuple[list[Login], User]:
    # One hash for the shared, published demo password keeps seeding fast.
    password = make_password(data.DEMO_PASSWORD)
    names = usernames_for(org.slug)
    staff = []
    for role, label in data.STAFF_ROLES:
        scoped = role in (Role.FRONTLINE, Role.ENGINEER)
        staff.append(
            User(
                username=names[role],
                password=password,
                organization=org,
                kind=UserKind.STAFF,
                display_name=label,
                scope_all=not scoped,
            )
        )
    tenant_customer = plan.customers[plan.tenant_customer]
    tenant = User(
        username=names["tenant"],
        password=password,
        organization=org,
        kind=UserKind.TENANT,
        display_name=tenant_customer[2],
        customer_id=customer_ids[plan.tenant_customer],
    )
    users = User.objects.bulk_create([*staff, tenant])
    by_role = {role: user for (role, _label), user in zip(data.STAFF_ROLES, users, strict=False)}
    RoleGrant.objects.bulk_create([RoleGrant(user=by_role[role], role=role) for role in by_role])
    # Frontline: the first project. Engineer: up to three buildings of the first project.
    first_project_buildings = [b for b in buildings if b.project_id == projects[0].pk][:3]
    StaffScope.objects.bulk_create(
        [StaffScope(user=by_role[Role.FRONTLINE], project=projects[0])]
        + [StaffScope(user=by_role[Role.ENGINEER], building=b) for b in first_project_buildings]
    )
    scope_labels: dict[str, str] = {
        Role.FRONTLINE: projects[0].name,
        Role.ENGINEER: "；".join(f"{projects[0].name} {b.name}" for b in first_project_buildings),
    }
    logins = [
        Login(role, by_role[role].username, data.DEMO_PASSWORD, scope_labels.get(role, "全组织"))
        for role, _label in data.STAFF_ROLES
    ]
    logins.append(
        Login("tenant", tenant.username, data.DEMO_PASSWORD, f"租客 {tenant_customer[2]}")
    )
    return logins, by_role[Role.MANAGEMENT]


def _write_leases(
    plan: Plan,
    rng: random.Random,
    *,
    org: Organization,
    today: dt.date,
    now: dt.datetime,
    by: User,
    unit_ids: list[int],
    customer_ids: list[int],
    project_ids: list[int],
    building_ids: list[int],
) -> int:
    ordered = sorted(plan.leases, key=lambda le: (le.start, le.unit))
    pick_cycle = weighted(rng, data.PAYMENT_CYCLES)
    numbers: dict[int, int] = {}
    one_day = dt.timedelta(days=1)
    pre_activation = dt.timedelta(hours=26)
    # Versions after create → submit → activate → expire/terminate.
    version: dict[str, int] = {"draft": 1, "pending_approval": 2, "active": 3}
    org_id, by_id = org.pk, by.pk

    def rows() -> Any:
        for lease in ordered:
            year = lease.start.year
            numbers[year] = numbers.get(year, 0) + 1
            unit = plan.units[lease.unit]
            p_index = plan.unit_project[lease.unit]
            site = plan.projects[p_index]["site"]
            years_ago = max(0, (today - lease.start).days) / 365
            rent = int(unit[4] * (1 - 0.03 * years_ago) * rng.uniform(0.95, 1.0) / 10) * 10
            rent = max(rent, 500)
            deposit_months, pay_months = pick_cycle()
            term_months = round((lease.end - lease.start).days / 30.4)
            if rng.random() < 0.7:
                due_rule, due_value = DueDayRule.DAYS_BEFORE_PERIOD, rng.choice((0, 3, 5, 7))
            else:
                due_rule, due_value = DueDayRule.DAY_OF_MONTH, rng.choice((1, 5, 10, 15, 20, 25))
            rent_free = "[]"
            if site.kind == "长租公寓" and rng.random() < 0.15:
                free_end = lease.start + dt.timedelta(days=rng.randint(6, 14))
                if free_end <= lease.end:
                    rent_free = json.dumps(
                        [{"start": lease.start.isoformat(), "end": free_end.isoformat()}]
                    )
            escalation_pct = escalation_every = None
            if term_months >= 24 and rng.random() < 0.5:
                escalation_pct, escalation_every = Decimal("3.00"), 12
            created = min(_aware(lease.start - 7 * one_day), now)
            draft = lease.status in (LeaseStatus.DRAFT, LeaseStatus.PENDING_APPROVAL)
            yield (
                org_id, project_ids[p_index], building_ids[plan.unit_building[lease.unit]],
                unit_ids[lease.unit], customer_ids[lease.customer],
                f"L{year}-{numbers[year]:06d}", lease.status, lease.start, lease.end,
                lease.occupied_until, Decimal(rent), deposit_months, pay_months,
                Decimal(rent * deposit_months), due_rule, due_value, rent_free,
                escalation_pct, escalation_every, data.LATE_FEE_DAILY_RATE, 3,
                rng.random() < 0.25, "", None if draft else created + pre_activation,
                lease.terminated_on, lease.reason, version.get(lease.status, 4), by_id,
                created, now,
            )  # fmt: skip

    count = insert_rows(
        Lease,
        (
            "organization_id", "project_id", "building_id", "unit_id", "customer_id", "code",
            "status", "start_date", "end_date", "occupied_until", "monthly_rent",
            "deposit_months", "pay_months", "deposit", "due_day_rule", "due_day_value",
            "rent_free_periods", "escalation_pct", "escalation_every_months",
            "late_fee_daily_rate", "late_fee_grace_days", "allows_access_freeze", "notes",
            "activated_at", "terminated_on", "termination_reason", "version", "created_by_id",
            "created_at", "updated_at",
        ),
        rows(),
    )  # fmt: skip
    # Later leases continue after the demo's numbers (anzu.leasing.services._lease_code).
    for year, n in sorted(numbers.items()):
        Counter.objects.update_or_create(
            organization=org, name=f"lease-{year}", defaults={"value": n}
        )
    return count
