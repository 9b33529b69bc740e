"""Planning the demo's year of work orders in memory: which tickets, when, and their lives.

Used by :mod:`anzu.demo.maintenance`; the rows are written by :mod:`anzu.demo.maintenance_rows`.
Every choice comes from the ``random.Random`` passed in, so a seed gives the same year.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from anzu.common import clock
from anzu.core.models import Organization
from anzu.leasing.models import Lease
from anzu.maintenance import clocks as sla_clocks
from anzu.maintenance import services
from anzu.maintenance.categories import DEFAULT_CATEGORIES
from anzu.maintenance.choices import (
    RootCause,
    TicketStatus,
    Urgency,
)
from anzu.maintenance.engine.batches import BatchExposure, unit_months
from anzu.maintenance.models import (
    Ticket,
)
from anzu.portfolio.models import Equipment, Unit

S = TicketStatus

TICKETS_PER_UNIT_YEAR = 0.6
UNITS_PER_ENGINEER = 150
AC_FAILURES_PER_UNIT_YEAR = 0.08  # fleet rate of air-conditioner faults, per installed unit
DEFECT_FACTOR = 5.0
CANCEL_SHARE = 0.02
RATED_SHARE = 0.7
REPEAT_SHARE = 0.04
SHIFTS = {str(d): [["09:00", "18:00"]] for d in range(7)}
SKILLS_A = ["lock", "other", "structure", "water_electric"]
SKILLS_B = ["appliance", "network", "other", "water_electric"]
ALL_SKILLS = sorted({row[3] for row in DEFAULT_CATEGORIES})
ENGINEER_NAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"

# Monthly weights (Jan … Dec) of each category; "appliance.ac_not_cooling" comes from the
# equipment fleet instead (AC_SEASON).
FLAT = (1.0,) * 12
WINTER = (3.0, 2.6, 1.6, 0.8, 0.5, 0.4, 0.3, 0.3, 0.4, 0.8, 1.6, 2.8)
PLUM_RAIN = (0.7, 0.7, 0.9, 1.0, 1.4, 3.2, 1.6, 1.1, 0.9, 0.8, 0.7, 0.7)
AC_SEASON = (0.35, 0.3, 0.35, 0.5, 1.0, 2.0, 3.4, 3.0, 1.4, 0.5, 0.35, 0.5)
CATEGORY_MIX: tuple[tuple[str, float, tuple[float, ...]], ...] = (
    ("water_electric.toilet_blocked", 11, FLAT),
    ("water_electric.leak", 9, PLUM_RAIN),
    ("water_electric.no_hot_water", 6, WINTER),
    ("water_electric.breaker_tripped", 5, (1, 1, 1, 1, 1.2, 1.4, 1.8, 1.8, 1.1, 1, 1, 1)),
    ("water_electric.lighting", 7, FLAT),
    ("structure.wall", 4, PLUM_RAIN),
    ("structure.door_window", 5, FLAT),
    ("appliance.washer", 4, FLAT),
    ("appliance.fridge", 3, (0.7, 0.7, 0.8, 0.9, 1.1, 1.3, 1.6, 1.5, 1.1, 0.9, 0.8, 0.7)),
    ("appliance.water_heater", 5, WINTER),
    ("lock.smart_lock", 6, FLAT),
    ("lock.access_card", 4, FLAT),
    ("network.wifi", 7, FLAT),
    ("other", 3, FLAT),
)
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "water_electric.toilet_blocked": ("马桶堵塞，冲水下不去", "卫生间马桶反水"),
    "water_electric.leak": ("卫生间地漏反水，楼下反映渗水", "厨房水槽下方漏水", "天花板渗水"),
    "water_electric.no_hot_water": ("淋浴没有热水", "热水出水忽冷忽热"),
    "water_electric.breaker_tripped": ("一开空调就跳闸", "全屋断电，空开合不上"),
    "water_electric.lighting": ("卧室顶灯不亮", "插座没电"),
    "structure.wall": ("墙面发霉起皮", "天花板墙皮脱落"),
    "structure.door_window": ("窗户关不严，漏风", "阳台推拉门卡住"),
    "appliance.ac_not_cooling": ("空调不制冷，只吹风", "空调外机响声大，不制冷", "空调漏水"),
    "appliance.washer": ("洗衣机不脱水", "洗衣机进水慢"),
    "appliance.fridge": ("冰箱不制冷", "冰箱冷藏室结冰"),
    "appliance.water_heater": ("热水器打不着火", "热水器显示故障代码"),
    "lock.smart_lock": ("智能门锁没电打不开", "门锁指纹识别失败"),
    "lock.access_card": ("门禁卡失效", "需要补办门禁卡"),
    "network.wifi": ("Wi-Fi断网", "网速很慢，经常掉线"),
    "other": ("楼道灯不亮", "需要更换纱窗"),
}
CHANNELS: tuple[tuple[str, float], ...] = (("qr", 45), ("portal", 20), ("phone", 30), ("api", 5))
URGENCIES: tuple[tuple[str, float], ...] = (
    (Urgency.LOW.value, 5),
    (Urgency.NORMAL.value, 80),
    (Urgency.URGENT.value, 13),
    (Urgency.EMERGENCY.value, 2),
)
SCORES: tuple[tuple[int, float], ...] = ((5, 62), (4, 26), (3, 6), (2, 3.5), (1, 2.5))
GOOD_TAGS = ("fast", "polite", "tidy", "fixed_first_time")
BAD_TAGS = ("slow", "not_fixed", "messy", "rude")
ROOT_CAUSES = (
    RootCause.RESPONSE_TIME.value,
    RootCause.WORKMANSHIP.value,
    RootCause.PARTS.value,
    RootCause.ATTITUDE.value,
    RootCause.TENANT_MISUSE.value,
)
CANCEL_NOTE = "租客来电：问题已自行解决，取消报修"
REVIEW_CLOSE_DAYS = 14  # review cases opened earlier than this are closed
SOLVED_SHARE = 0.3  # of the QR visits shown articles: solved without a ticket
ABANDONED_SHARE = 0.1


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    total = sum(w for _v, w in pairs)
    x = rng.random() * total
    for value, weight in pairs:
        x -= weight
        if x < 0:
            return value
    return pairs[-1][0]


@dataclass
class EngineerRef:
    user_id: int
    skills: list[str]
    project_ids: list[int]
    building_ids: list[int]


@dataclass
class TicketPlan:
    """One ticket's life, decided in memory."""

    index: int
    unit: int
    building: int
    project: int
    category: str
    reported: dt.datetime
    urgency: str = Urgency.NORMAL.value
    channel: str = "phone"
    equipment: int | None = None
    customer: int | None = None
    engineer: int | None = None
    dispatched: dt.datetime | None = None
    accepted: dt.datetime | None = None
    on_site: dt.datetime | None = None
    completed: dt.datetime | None = None
    verified: dt.datetime | None = None
    cancelled: dt.datetime | None = None
    score: int | None = None
    rated: dt.datetime | None = None
    repeat_of: int | None = None
    planted_repeat: bool = False
    steps: list[tuple[str, dt.datetime]] = field(default_factory=list)


# Planning the year ----------------------------------------------------------------------------


def local_at(day: dt.date, minutes: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=clock.business_tz()) + dt.timedelta(
        minutes=minutes
    )


def _day_in_month(rng: random.Random, month_days: dict[int, list[dt.date]], month: int) -> dt.date:
    days = month_days[month]
    return days[rng.randrange(len(days))]


def _report_minute(rng: random.Random) -> float:
    hour = weighted(
        rng,
        [(h, 1.0) for h in range(7, 9)]
        + [(h, 2.0) for h in range(9, 20)]
        + [(h, 1.0) for h in range(20, 23)],
    )
    return hour * 60 + rng.uniform(0, 59)


def defective_batch(
    org: Organization, *, start: dt.date, building_ids: Sequence[int] | None = None
) -> tuple[str, str] | None:
    """The (model, batch) of air conditioners that fails more often: among the batches
    installed for the whole year (in ``building_ids``, default all), the one whose size is
    closest to a tenth of the fleet (at least 30 units), ties by key."""
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    total = 0
    fleet = Equipment.objects.filter(organization=org, type="air_conditioner", unit__isnull=False)
    if building_ids is not None:
        fleet = fleet.filter(building_id__in=list(building_ids))
    for model, batch, installed in fleet.values_list("model", "batch", "installed_on"):
        total += 1
        if installed is not None and installed <= start:
            sizes[(model, batch)] += 1
    if not sizes:
        return None
    goal = max(30, total // 10)
    return min(sorted(sizes), key=lambda k: abs(sizes[k] - goal))


def ac_exposures(
    org: Organization, *, start: dt.date, end: dt.date, unit_ids: set[int] | None = None
) -> list[BatchExposure]:
    """Air-conditioner exposure (unit-months in ``[start, end)``) and faults by model/batch."""
    exposure: dict[tuple[str, str], float] = defaultdict(float)
    equipment_qs = Equipment.objects.filter(
        organization=org, type="air_conditioner", unit__isnull=False
    )
    if unit_ids is not None:
        equipment_qs = equipment_qs.filter(unit_id__in=unit_ids)
    for model, batch, installed in equipment_qs.values_list("model", "batch", "installed_on"):
        exposure[(model, batch)] += unit_months(installed or start, start, end)
    failures: dict[tuple[str, str], int] = defaultdict(int)
    tz = clock.business_tz()
    for model, batch in Ticket.objects.filter(
        organization=org,
        category__code="appliance.ac_not_cooling",
        equipment__isnull=False,
        reported_at__gte=dt.datetime.combine(start, dt.time(0), tzinfo=tz),
        reported_at__lt=dt.datetime.combine(end, dt.time(0), tzinfo=tz),
    ).values_list("equipment__model", "equipment__batch"):
        failures[(model, batch)] += 1
    return [
        BatchExposure(key=key, failures=failures.get(key, 0), unit_months=months)
        for key, months in sorted(exposure.items())
        if months > 0
    ]


def plan_tickets(
    rng: random.Random,
    *,
    org: Organization,
    today: dt.date,
    now: dt.datetime,
    start: dt.date,
    buildings: dict[int, tuple[int, float, float]],
) -> list[TicketPlan]:
    units = list(
        Unit.objects.filter(organization=org, building_id__in=list(buildings))
        .order_by("id")
        .values_list("id", "building_id", "project_id")
    )
    if not units:
        return []
    month_days: dict[int, list[dt.date]] = defaultdict(list)
    day = start
    while day < today:
        month_days[day.month].append(day)
        day += dt.timedelta(days=1)
    plans: list[TicketPlan] = []

    def add(unit: tuple[int, int, int], code: str, reported: dt.datetime, equipment: Any) -> None:
        plans.append(
            TicketPlan(len(plans), unit[0], unit[1], unit[2], code, reported, equipment=equipment)
        )

    # Air conditioners: failures drawn per batch from its exposure, in the AC season.
    unit_by_id = {u[0]: u for u in units}
    bad = defective_batch(org, start=start, building_ids=list(buildings))
    ac_weights = [(m, AC_SEASON[m - 1] * len(month_days[m])) for m in sorted(month_days)]
    batches: dict[tuple[str, str], list[tuple[int, int, dt.date]]] = defaultdict(list)
    for eq_id, unit_id, model, batch, installed in (
        Equipment.objects.filter(organization=org, type="air_conditioner", unit_id__in=unit_by_id)
        .order_by("id")
        .values_list("id", "unit_id", "model", "batch", "installed_on")
    ):
        batches[(model, batch)].append((eq_id, unit_id, installed or start))
    ac_total = 0
    for key in sorted(batches):
        members = batches[key]
        months = sum(unit_months(inst, start, today) for _e, _u, inst in members)
        rate = AC_FAILURES_PER_UNIT_YEAR / 12 * (DEFECT_FACTOR if key == bad else 1.0)
        count = round(rate * months * rng.uniform(0.9, 1.1))
        for _ in range(count):
            eq_id, unit_id, installed = members[rng.randrange(len(members))]
            for _attempt in range(20):
                when = _day_in_month(rng, month_days, weighted(rng, ac_weights))
                if when > installed:
                    break
            else:
                continue
            add(unit_by_id[unit_id], "appliance.ac_not_cooling", local_at(when, _report_minute(rng)),
                eq_id)  # fmt: skip
            ac_total += 1

    # Everything else: the category mix, by month.
    others = max(0, round(TICKETS_PER_UNIT_YEAR * len(units)) - ac_total)
    mix = [
        ((code, m), share * season[m - 1] * len(month_days[m]))
        for code, share, season in CATEGORY_MIX
        for m in sorted(month_days)
    ]
    cumulative: list[float] = []
    running = 0.0
    for _key, weight in mix:
        running += weight
        cumulative.append(running)
    for _ in range(others):
        i = bisect.bisect_left(cumulative, rng.random() * running)
        code, month = mix[min(i, len(mix) - 1)][0]
        unit = units[rng.randrange(len(units))]
        when = _day_in_month(rng, month_days, month)
        add(unit, code, local_at(when, _report_minute(rng)), None)

    plans.sort(key=lambda p: (p.reported, p.unit))
    for i, plan in enumerate(plans):
        plan.index = i
    return [p for p in plans if p.reported < now]


def _next_shift(at: dt.datetime, rng: random.Random) -> dt.datetime:
    """``at`` if it falls in 09:00–18:00 local time, else the next 09:00 plus a little."""
    local = clock.local(at)
    minute = local.hour * 60 + local.minute
    if 9 * 60 <= minute < 18 * 60:
        return at
    day = local.date() if minute < 9 * 60 else local.date() + dt.timedelta(days=1)
    return local_at(day, 9 * 60 + rng.uniform(5, 90))


def plan_lives(
    rng: random.Random,
    plans: list[TicketPlan],
    *,
    engineers: list[EngineerRef],
    buildings: dict[int, tuple[int, float, float]],
    now: dt.datetime,
    start: dt.date,
) -> None:
    """Channel, urgency, reporter, engineer and the timestamps of every ticket."""
    skill_of = {code: skill for code, _n, _p, skill in DEFAULT_CATEGORIES}
    covering: dict[tuple[int, str], list[int]] = {}
    for b_id, (p_id, _lat, _lng) in buildings.items():
        for skill in ALL_SKILLS:
            covering[(b_id, skill)] = [
                e.user_id
                for e in engineers
                if skill in e.skills and (b_id in e.building_ids or p_id in e.project_ids)
            ]
    tenants = _tenants_by_unit({p.unit for p in plans})
    start_at = local_at(start, 0)
    extra: list[TicketPlan] = []
    for plan in plans:
        _plan_life(rng, plan, covering=covering, skill_of=skill_of, tenants=tenants,
                   start_at=start_at)  # fmt: skip
        # A repeat visit: the same fault again a few days after the repair.
        if plan.completed is not None and plan.cancelled is None and rng.random() < REPEAT_SHARE:
            again = plan.completed + dt.timedelta(days=rng.uniform(2, 20))
            if again < now:
                again = local_at(clock.local(again).date(), _report_minute(rng))
                if again > plan.completed and again < now:
                    repeat = TicketPlan(
                        0, plan.unit, plan.building, plan.project, plan.category, again,
                        equipment=plan.equipment, planted_repeat=True,
                    )  # fmt: skip
                    _plan_life(rng, repeat, covering=covering, skill_of=skill_of,
                               tenants=tenants, start_at=start_at)  # fmt: skip
                    extra.append(repeat)
    plans.extend(extra)
    plans.sort(key=lambda p: (p.reported, p.unit, p.category))
    for i, plan in enumerate(plans):
        plan.index = i
        plan.steps = [(st, at) for st, at in plan.steps if at <= now]


def _tenants_by_unit(unit_ids: set[int]) -> dict[int, list[tuple[dt.date, dt.date, int]]]:
    leases: dict[int, list[tuple[dt.date, dt.date, int]]] = defaultdict(list)
    for unit_id, first, last, customer_id in (
        Lease.objects.filter(unit_id__in=unit_ids, activated_at__isnull=False)
        .order_by("unit_id", "start_date")
        .values_list("unit_id", "start_date", "occupied_until", "customer_id")
    ):
        leases[unit_id].append((first, last, customer_id))
    return leases


def _plan_life(
    rng: random.Random,
    plan: TicketPlan,
    *,
    covering: dict[tuple[int, str], list[int]],
    skill_of: dict[str, str],
    tenants: dict[int, list[tuple[dt.date, dt.date, int]]],
    start_at: dt.datetime,
) -> None:
    day = clock.local(plan.reported).date()
    plan.customer = next(
        (c for first, last, c in tenants.get(plan.unit, []) if first <= day <= last), None
    )
    plan.channel = weighted(rng, CHANNELS) if plan.customer else "phone"
    plan.urgency = weighted(rng, URGENCIES)
    if plan.category == "water_electric.leak" and rng.random() < 0.3:
        plan.urgency = Urgency.URGENT.value
    # Slower at the start of the year, faster at the end.
    progress = min(1.0, max(0.0, (plan.reported - start_at).total_seconds() / (365 * 86400)))
    pace = 1.6 - 1.0 * progress
    if plan.urgency in (Urgency.URGENT, Urgency.EMERGENCY):
        pace *= 0.5
    steps: list[tuple[str, dt.datetime]] = [(S.ACCEPTED, plan.reported)]
    plan.dispatched = plan.reported + dt.timedelta(seconds=rng.uniform(20, 180))
    steps.append((S.DISPATCHING, plan.dispatched))
    candidates = covering.get((plan.building, skill_of[plan.category]), [])
    if not candidates:
        plan.steps = steps
        return
    plan.engineer = candidates[rng.randrange(len(candidates))]
    if rng.random() < CANCEL_SHARE:
        plan.cancelled = plan.dispatched + dt.timedelta(minutes=rng.uniform(10, 240))
        steps.append((S.CANCELLED, plan.cancelled))
        plan.steps = steps
        return
    wait = rng.lognormvariate(math.log(35 * pace), 0.6)
    plan.accepted = _next_shift(plan.dispatched + dt.timedelta(minutes=wait), rng)
    steps.append((S.ENGINEER_ACCEPTED, plan.accepted))
    travel = rng.lognormvariate(math.log(150 * pace), 0.7)
    plan.on_site = _next_shift(plan.accepted + dt.timedelta(minutes=travel), rng)
    steps.append((S.ON_SITE, plan.on_site))
    work = rng.uniform(20, 120) * (1.5 if plan.category.startswith("appliance") else 1.0)
    plan.completed = plan.on_site + dt.timedelta(minutes=work)
    steps.append((S.COMPLETED, plan.completed))
    if plan.customer is not None and rng.random() < RATED_SHARE:
        score = weighted(rng, SCORES)
        hours = (plan.completed - plan.reported).total_seconds() / 3600
        if hours > 48 and score > 1 and rng.random() < 0.5:
            score -= 1
        plan.score = score
        plan.rated = plan.completed + dt.timedelta(hours=rng.uniform(0.5, 48))
        plan.verified = plan.rated
    else:
        plan.verified = plan.completed + dt.timedelta(hours=sla_clocks.DEFAULT_AUTO_VERIFY_HOURS)
    steps.append((S.VERIFIED, plan.verified))
    plan.steps = steps


def link_repeats(plans: list[TicketPlan], *, categories: dict[str, str]) -> None:
    """``repeat_of`` as intake sets it: the latest ticket of the unit and skill completed in the
    last 30 days before the report (and not reopened or cancelled)."""
    window = dt.timedelta(days=services.REPEAT_WINDOW_DAYS)
    done: dict[tuple[int, str], list[TicketPlan]] = defaultdict(list)
    for plan in plans:  # by report time
        key = (plan.unit, categories[plan.category])
        best = None
        for earlier in done[key]:
            completed = _reached(earlier, S.COMPLETED)
            if (
                completed is not None
                and plan.reported - window <= completed <= plan.reported
                and (best is None or (completed, earlier.index) > (best[0], best[1].index))
            ):
                best = (completed, earlier)
        plan.repeat_of = best[1].index if best else None
        done[key].append(plan)


def _reached(plan: TicketPlan, status: str) -> dt.datetime | None:
    return next((at for st, at in plan.steps if st == status), None)
