"""Generation of the demo portfolio in memory: deterministic for a seed and a business date.

Nothing here touches the database; :mod:`anzu.demo.seeding` writes the plan.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from anzu.demo import data
from anzu.leasing.choices import CustomerKind, IdType, LeaseStatus
from anzu.leasing.idnumbers import resident_id_check_digit, uscc_check_char
from anzu.portfolio.choices import UnitStatus

OCCUPANCY_TARGET = 0.895  # share of units with an active lease today
MAINTENANCE_SHARE = 0.02  # share of vacant units under maintenance
FUTURE_LEASE_SHARE = 0.30  # share of vacant units with a draft or pending lease starting soon
RENEWAL_PENDING_SHARE = 0.20  # share of leases ending within 45 days with a pending renewal
EARLY_TERMINATION_SHARE = 0.16
SAME_CUSTOMER_RENEWAL_SHARE = 0.6
NO_GAP_SHARE = 0.45  # share of move-ins the day after the previous lease ended
COMPANY_SHARE = 0.04


@dataclass
class PlannedLease:
    unit: int  # index into the unit list
    customer: int  # index into the customer list
    status: str
    start: dt.date
    end: dt.date
    occupied_until: dt.date
    terminated_on: dt.date | None = None
    reason: str = ""


@dataclass
class Plan:
    """Everything generated in memory before it is written."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    buildings: list[dict[str, Any]] = field(default_factory=list)
    units: list[list[Any]] = field(default_factory=list)
    unit_building: list[int] = field(default_factory=list)
    unit_project: list[int] = field(default_factory=list)
    customers: list[tuple[Any, ...]] = field(default_factory=list)
    leases: list[PlannedLease] = field(default_factory=list)
    tenant_customer: int = 0  # the customer behind the tenant portal login


# Dates ------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def weighted(rng: random.Random, options: tuple[tuple[Any, ...], ...]) -> Callable[[], Any]:
    """A picker over ``(value…, weight)`` tuples (cumulative weights computed once)."""
    values = [o[:-1] if len(o) > 2 else o[0] for o in options]
    cumulative = list(itertools.accumulate(o[-1] for o in options))
    total = cumulative[-1]

    def pick() -> Any:
        return values[bisect.bisect_right(cumulative, rng.random() * total)]

    return pick


def make_plan(rng: random.Random, *, units: int, months: int, today: dt.date) -> Plan:
    plan = Plan()
    _plan_portfolio(rng, plan, units=units, months=months, today=today)
    _plan_leases(rng, plan, months=months, today=today)
    return plan


def _split(total: int, weights: list[int]) -> list[int]:
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _plan_portfolio(
    rng: random.Random, plan: Plan, *, units: int, months: int, today: dt.date
) -> None:
    n_projects = min(len(data.SITES), max(1, units // 10))
    sites = data.SITES[:n_projects]
    counts = _split(units, [s.weight for s in sites])
    for p_index, (site, count) in enumerate(zip(sites, counts, strict=True)):
        opened = add_months(today, -months - rng.randint(6, 48)).replace(day=1)
        road_no = rng.randrange(100, 1200, 2)
        plan.projects.append({"site": site, "opened": opened})
        pick_layout = weighted(rng, site.layouts)
        remaining = count
        number = 0
        while remaining > 0:
            number += 1
            floors = rng.randint(*site.floors)
            per_floor = rng.randint(*site.per_floor)
            take = min(remaining, floors * per_floor)
            used_floors = -(-take // per_floor)
            b_index = len(plan.buildings)
            plan.buildings.append(
                {
                    "project": p_index,
                    "code": f"{site.code}-{number:02d}",
                    "name": f"{number}号楼",
                    "address": f"上海市{site.district}{site.road}{road_no}弄{number}号",
                    "latitude": Decimal(f"{site.latitude + rng.uniform(-0.004, 0.004):.6f}"),
                    "longitude": Decimal(f"{site.longitude + rng.uniform(-0.004, 0.004):.6f}"),
                    "floors": used_floors,
                }
            )
            made = 0
            for floor in range(1, used_floors + 1):
                for room in range(1, per_floor + 1):
                    if made == take:
                        break
                    layout = pick_layout()
                    low, high = data.AREA_BY_LAYOUT[layout]
                    area = round(rng.uniform(low, high) * 2) / 2
                    per_m2 = site.rent_per_m2 * (1.08 if layout == "开间" else 1.0)
                    rent = area * per_m2 * (1 + 0.003 * floor) * rng.uniform(0.93, 1.07)
                    list_rent = max(500, round(rent / 10.0) * 10)
                    # [code, floor, area, layout, list_rent]; status is filled in later.
                    plan.units.append(
                        [f"{floor:02d}{room:02d}", floor, Decimal(f"{area:.2f}"), layout, list_rent]
                    )
                    plan.unit_building.append(b_index)
                    plan.unit_project.append(p_index)
                    made += 1
            remaining -= take


class _People:
    """Generates customers: persons with valid resident IDs and mobiles, and a few companies."""

    def __init__(self, rng: random.Random, plan: Plan, today: dt.date) -> None:
        self.rng = rng
        self.plan = plan
        self.today = today
        self.ids: set[str] = set()
        self.companies: list[int] = []
        self.birth_low = dt.date(today.year - 58, 1, 1).toordinal()
        self.birth_high = dt.date(today.year - 19, 12, 31).toordinal()

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.ids:
                self.ids.add(value)
                return value

    def _phone(self) -> str:
        return f"{self.rng.choice(data.MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    def person(self, project: int) -> int:
        rng = self.rng
        male = rng.random() < 0.52
        given_pool = data.GIVEN_MALE if male else data.GIVEN_FEMALE
        given = rng.choice(given_pool)
        if rng.random() < 0.7:
            given += rng.choice(given_pool)
        name = rng.choice(data.SURNAMES) + given

        def make() -> str:
            birth = dt.date.fromordinal(rng.randint(self.birth_low, self.birth_high))
            order = rng.randrange(0, 500) * 2 + (1 if male else 0)
            first17 = f"{rng.choice(data.REGION_CODES)}{birth:%Y%m%d}{order:03d}"
            return first17 + resident_id_check_digit(first17)

        id_number = self._unique(make)
        self.plan.customers.append(
            (
                project,
                CustomerKind.PERSON,
                name,
                IdType.RESIDENT_ID,
                id_number,
                self._phone(),
                "",
                [],
            )
        )
        return len(self.plan.customers) - 1

    def company(self, project: int) -> int:
        if len(self.companies) < 3 + len(self.plan.units) // 400 and (
            not self.companies or self.rng.random() < 0.5
        ):
            rng = self.rng
            region = rng.choice(data.REGION_CODES[:9])
            name = (
                f"上海{rng.choice(data.COMPANY_WORDS)}{rng.choice(data.COMPANY_WORDS)}"
                f"{rng.choice(data.COMPANY_TRADES)}有限公司"
            )

            def make() -> str:
                body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
                first17 = f"91{region}{body}"
                return first17 + uscc_check_char(first17)

            uscc = self._unique(make)
            self.plan.customers.append(
                (
                    project,
                    CustomerKind.COMPANY,
                    name,
                    IdType.USCC,
                    uscc,
                    self._phone(),
                    "",
                    ["企业客户"],
                )
            )
            self.companies.append(len(self.plan.customers) - 1)
        return self.rng.choice(self.companies)

    def new(self, project: int) -> int:
        if self.rng.random() < COMPANY_SHARE:
            return self.company(project)
        return self.person(project)


def _plan_leases(rng: random.Random, plan: Plan, *, months: int, today: dt.date) -> None:
    people = _People(rng, plan, today)
    pick_term = weighted(rng, data.TERM_MONTHS)
    window_start = add_months(today, -months)
    one = dt.timedelta(days=1)
    leases = plan.leases
    for u_index in range(len(plan.units)):
        project = plan.unit_project[u_index]
        status = UnitStatus.VACANT
        if rng.random() < OCCUPANCY_TARGET:
            term = pick_term()
            start = today - dt.timedelta(days=rng.randrange(0, min(term * 30, months * 30)))
            end = add_months(start, term) - one
            if end < today:
                end = today + dt.timedelta(days=rng.randint(1, 60))
            customer = people.new(project)
            leases.append(PlannedLease(u_index, customer, LeaseStatus.ACTIVE, start, end, end))
            status = UnitStatus.OCCUPIED
            if (end - today).days <= 45 and rng.random() < RENEWAL_PENDING_SHARE:
                renewal_start = end + one
                leases.append(
                    PlannedLease(
                        u_index,
                        customer,
                        LeaseStatus.PENDING_APPROVAL,
                        renewal_start,
                        add_months(renewal_start, 12) - one,
                        add_months(renewal_start, 12) - one,
                    )
                )
            later_customer: int | None = customer
            cursor = start
        else:
            cursor = today - dt.timedelta(days=rng.randint(1, 75)) + one
            later_customer = None
            if rng.random() < FUTURE_LEASE_SHARE:
                start = today + dt.timedelta(days=rng.randint(3, 30))
                end = add_months(start, pick_term()) - one
                lease_status = (
                    LeaseStatus.PENDING_APPROVAL if rng.random() < 0.6 else LeaseStatus.DRAFT
                )
                leases.append(
                    PlannedLease(u_index, people.new(project), lease_status, start, end, end)
                )
                status = UnitStatus.RESERVED
            elif rng.random() < MAINTENANCE_SHARE:
                status = UnitStatus.MAINTENANCE
        plan.units[u_index].append(status)
        first = True
        while cursor > window_start:
            if first and later_customer is None:
                gap = 0
            else:
                gap = 0 if rng.random() < NO_GAP_SHARE else rng.randint(3, 40)
            first = False
            occupied_until = cursor - one - dt.timedelta(days=gap)
            term = pick_term()
            if (
                gap == 0
                and later_customer is not None
                and rng.random() < SAME_CUSTOMER_RENEWAL_SHARE
            ):
                customer = later_customer
            else:
                customer = people.new(project)
            if term > 3 and rng.random() < EARLY_TERMINATION_SHARE:
                ran = rng.randint(30, term * 30 - 20)
                start = occupied_until - dt.timedelta(days=ran)
                end = add_months(start, term) - one
                lease = PlannedLease(
                    u_index,
                    customer,
                    LeaseStatus.TERMINATED,
                    start,
                    end,
                    occupied_until,
                    occupied_until,
                    rng.choice(data.TERMINATION_REASONS),
                )
            else:
                start = add_months(occupied_until + one, -term)
                lease = PlannedLease(
                    u_index, customer, LeaseStatus.EXPIRED, start, occupied_until, occupied_until
                )
            leases.append(lease)
            later_customer = customer
            cursor = start

    # The tenant login: the customer of the first active lease (any customer for tiny demos).
    active = next((le for le in leases if le.status == LeaseStatus.ACTIVE), None)
    plan.tenant_customer = active.customer if active is not None else people.person(0)
