"""SLA policies, business calendars and the clocks of tickets.

A clock is stored as its start, its stop (or none yet) and the paused intervals; elapsed
business time and the due time are computed with :mod:`anzu.maintenance.engine.sla` (24×7
calendars take a direct fast path), so a calendar or policy change is applied by recomputing
(:func:`clocks_recompute`).

Clocks of a ticket (all start when the ticket is reported):

- ``first_response`` stops at the first human staff action (a dispatcher's dispatch or
  override, an engineer's acceptance, or a cancellation);
- ``on_site`` stops when the engineer reports arrival;
- ``resolution`` stops at completion; a reopen resumes it with the time between completion and
  reopening paused.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.db import transaction
from django.db.models import Q

from anzu.core import audit
from anzu.core.models import Organization, User
from anzu.maintenance.choices import ClockKind, Urgency
from anzu.maintenance.models import BusinessCalendar, Category, SlaClock, SlaPolicy, Ticket

# (first response, on site, resolution) in minutes, by urgency; all on a 24×7 calendar.
DEFAULT_TARGETS: dict[str, tuple[int, int, int]] = {
    "": (120, 24 * 60, 72 * 60),
    Urgency.URGENT: (60, 8 * 60, 24 * 60),
    Urgency.EMERGENCY: (30, 2 * 60, 8 * 60),
}
DEFAULT_AUTO_VERIFY_HOURS = 72
DEFAULT_REOPEN_DAYS = 7
WARN_RATIO = 0.8


def engine_calendar(calendar: BusinessCalendar) -> Any:
    """The engine's Calendar for a stored business calendar."""
    from anzu.maintenance.engine import sla as engine_sla

    if calendar.always:
        return engine_sla.Calendar.always(calendar.tz)
    windows: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for day, spans in (calendar.windows or {}).items():
        windows[int(day)] = [
            (dt.time.fromisoformat(start), dt.time.fromisoformat(end)) for start, end in spans
        ]
    return engine_sla.Calendar(
        tz=calendar.tz,
        windows=windows,
        holidays=frozenset(dt.date.fromisoformat(d) for d in calendar.holidays or []),
        workdays=frozenset(dt.date.fromisoformat(d) for d in calendar.workdays or []),
    )


def _pauses(clock: SlaClock) -> list[tuple[dt.datetime, dt.datetime]]:
    return [
        (dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b))
        for a, b in clock.paused_segments or []
    ]


def _merged(pauses: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(p for p in pauses if p[1] > p[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _always_seconds(
    start: dt.datetime, end: dt.datetime, pauses: list[tuple[dt.datetime, dt.datetime]]
) -> int:
    """24×7 fast path: wall-clock seconds minus the paused ones."""
    total = (end - start).total_seconds()
    for ps, pe in _merged(pauses):
        overlap = (min(pe, end) - max(ps, start)).total_seconds()
        if overlap > 0:
            total -= overlap
    return max(0, int(total))


def _always_add(
    start: dt.datetime, seconds: int, pauses: list[tuple[dt.datetime, dt.datetime]]
) -> dt.datetime:
    """24×7 fast path: the instant ``seconds`` unpaused seconds after ``start``."""
    if seconds <= 0:
        return start
    cursor, remaining = start, dt.timedelta(seconds=seconds)
    for ps, pe in _merged(pauses):
        if pe <= cursor:
            continue
        if ps > cursor:
            if cursor + remaining <= ps:
                return cursor + remaining
            remaining -= ps - cursor
        cursor = max(cursor, pe)
    return cursor + remaining


def business_seconds(
    calendar: BusinessCalendar,
    start: dt.datetime,
    end: dt.datetime,
    pauses: list[tuple[dt.datetime, dt.datetime]],
) -> int:
    if end <= start:
        return 0
    if calendar.always:
        return _always_seconds(start, end, pauses)
    from anzu.maintenance.engine import sla as engine_sla

    return int(engine_sla.business_seconds(engine_calendar(calendar), start, end, pauses))


def add_business_seconds(
    calendar: BusinessCalendar,
    start: dt.datetime,
    seconds: int,
    pauses: list[tuple[dt.datetime, dt.datetime]],
) -> dt.datetime:
    if calendar.always:
        return _always_add(start, seconds, pauses)
    from anzu.maintenance.engine import sla as engine_sla

    result: dt.datetime = engine_sla.add_business_seconds(
        engine_calendar(calendar), start, seconds, pauses
    )
    return result


def sla_ensure_default(organization_id: int) -> SlaPolicy:
    """The organization's catch-all policies (one per urgency tier) on a 24×7 calendar."""
    existing = SlaPolicy.objects.filter(
        organization_id=organization_id, category__isnull=True, urgency="", is_active=True
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # Serialize the first use per organization so concurrent intakes create one set.
        Organization.objects.select_for_update(no_key=True).filter(pk=organization_id).first()
        existing = SlaPolicy.objects.filter(
            organization_id=organization_id, category__isnull=True, urgency="", is_active=True
        ).first()
        if existing is not None:
            return existing
        calendar = BusinessCalendar.objects.create(
            organization_id=organization_id, name="24×7", tz="Asia/Shanghai", always=True
        )
        BusinessCalendar.objects.create(
            organization_id=organization_id,
            name="工作日 09:00–18:00",
            tz="Asia/Shanghai",
            windows={str(d): [["09:00", "18:00"]] for d in range(5)},
        )
        policies = [
            SlaPolicy(
                organization_id=organization_id,
                urgency=urgency,
                first_response_minutes=first,
                on_site_minutes=on_site,
                resolution_minutes=resolution,
                auto_verify_hours=DEFAULT_AUTO_VERIFY_HOURS,
                reopen_days=DEFAULT_REOPEN_DAYS,
                calendar=calendar,
            )
            for urgency, (first, on_site, resolution) in DEFAULT_TARGETS.items()
        ]
        SlaPolicy.objects.bulk_create(policies)
        default = SlaPolicy.objects.get(
            organization_id=organization_id, category__isnull=True, urgency="", is_active=True
        )
        audit.record(
            action="sla_policy.ensure_default",
            obj=default,
            organization=organization_id,
            actor=None,
            changes={"urgencies": [u or "*" for u in DEFAULT_TARGETS]},
        )
    return default


def policy_for(*, organization_id: int, category: Category, urgency: str) -> SlaPolicy:
    """The most specific active policy: category, then its parent, then any; urgency, then any."""
    sla_ensure_default(organization_id)
    category_ids = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rows = list(
        SlaPolicy.objects.filter(organization_id=organization_id, is_active=True)
        .filter(Q(category_id__in=category_ids) | Q(category__isnull=True))
        .filter(Q(urgency=urgency) | Q(urgency=""))
        .select_related("calendar")
    )

    def rank(p: SlaPolicy) -> tuple[int, int, int]:
        if p.category_id == category.pk:
            cat = 0
        elif p.category_id is not None:
            cat = 1
        else:
            cat = 2
        return (cat, 0 if p.urgency else 1, p.pk)

    return min(rows, key=rank)


def clocks_start(ticket: Ticket, policy: SlaPolicy) -> list[SlaClock]:
    """Create the three clocks of a new ticket (inside the caller's transaction)."""
    clocks = []
    for kind in ClockKind.values:
        target = policy.minutes_for(kind) * 60
        clocks.append(
            SlaClock(
                ticket=ticket,
                kind=kind,
                policy=policy,
                policy_version=policy.version,
                target_seconds=target,
                started_at=ticket.reported_at,
                due_at=add_business_seconds(policy.calendar, ticket.reported_at, target, []),
            )
        )
    SlaClock.objects.bulk_create(clocks)
    return clocks


def elapsed_seconds(clock: SlaClock, *, now: dt.datetime) -> int:
    end = clock.stopped_at or now
    return business_seconds(clock.policy.calendar, clock.started_at, end, _pauses(clock))


def refresh(clock: SlaClock, *, now: dt.datetime) -> SlaClock:
    """Recompute the due time and the breach flag of one clock (not saved)."""
    clock.due_at = add_business_seconds(
        clock.policy.calendar, clock.started_at, clock.target_seconds, _pauses(clock)
    )
    clock.breached = elapsed_seconds(clock, now=now) > clock.target_seconds
    return clock


def clock_stop(ticket: Ticket, kind: str, at: dt.datetime) -> None:
    """Stop a running clock (inside the caller's transaction); a stopped clock is left alone."""
    clock = (
        SlaClock.objects.select_related("policy__calendar")
        .filter(ticket=ticket, kind=kind, stopped_at__isnull=True)
        .first()
    )
    if clock is None:
        return
    clock.stopped_at = at
    refresh(clock, now=at)
    clock.save(update_fields=["stopped_at", "due_at", "breached"])


def clock_resume(ticket: Ticket, kind: str, at: dt.datetime) -> None:
    """Resume a stopped clock; the time since it stopped is a pause."""
    clock = (
        SlaClock.objects.select_related("policy__calendar")
        .filter(ticket=ticket, kind=kind, stopped_at__isnull=False)
        .first()
    )
    if clock is None or clock.stopped_at is None:
        return
    if at > clock.stopped_at:
        clock.paused_segments = [
            *(clock.paused_segments or []),
            [clock.stopped_at.isoformat(), at.isoformat()],
        ]
    clock.stopped_at = None
    refresh(clock, now=at)
    clock.save(update_fields=["stopped_at", "paused_segments", "due_at", "breached"])


def clocks_recompute(*, organization_id: int, now: dt.datetime) -> int:
    """Recompute due times and breach flags of an organization's clocks (after a change)."""
    rows = list(
        SlaClock.objects.filter(ticket__organization_id=organization_id).select_related(
            "policy__calendar"
        )
    )
    for clock in rows:
        if clock.policy.version != clock.policy_version and clock.stopped_at is None:
            clock.target_seconds = clock.policy.minutes_for(clock.kind) * 60
            clock.policy_version = clock.policy.version
        refresh(clock, now=now)
    SlaClock.objects.bulk_update(
        rows, ["due_at", "breached", "target_seconds", "policy_version"], batch_size=500
    )
    return len(rows)


def sla_policy_update(
    *,
    policy: SlaPolicy,
    by: User,
    first_response_minutes: int | None = None,
    on_site_minutes: int | None = None,
    resolution_minutes: int | None = None,
    auto_verify_hours: int | None = None,
    now: dt.datetime,
) -> SlaPolicy:
    """Change a policy's targets (a new version); running clocks take the new targets."""
    from anzu.common import validate as v
    from anzu.core import access

    access.require(by, "workorders.review")
    values: dict[str, int] = {}
    for name, value in (
        ("first_response_minutes", first_response_minutes),
        ("on_site_minutes", on_site_minutes),
        ("resolution_minutes", resolution_minutes),
        ("auto_verify_hours", auto_verify_hours),
    ):
        if value is not None:
            values[name] = v.integer(value, field=name, minimum=1, maximum=60 * 24 * 90)
    with transaction.atomic():
        locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        before = audit.snapshot(locked, [*values, "version"])
        for name, value in values.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save()
        audit.record(
            action="sla_policy.update",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes=audit.diff(before, audit.snapshot(locked, [*values, "version"])),
        )
        clocks_recompute(organization_id=locked.organization_id, now=now)
    return locked


def _calendar_windows(windows: dict[Any, Any]) -> dict[str, list[list[str]]]:
    """Validate ``{weekday: ["HH:MM-HH:MM", ...]}`` (0 = Monday); errors name ``windows_<day>``."""
    from anzu.common.errors import ValidationFailed

    out: dict[str, list[list[str]]] = {}
    for raw_day, spans in (windows or {}).items():
        try:
            day = int(raw_day)
        except (TypeError, ValueError):
            raise ValidationFailed("invalid", "Unknown weekday.", field="windows") from None
        if not 0 <= day <= 6:
            raise ValidationFailed("invalid", "Unknown weekday.", field="windows")
        field = f"windows_{day}"
        parsed: list[tuple[dt.time, dt.time]] = []
        for span in spans or []:
            text = span if isinstance(span, str) else "-".join(str(p) for p in span)
            parts = [p.strip() for p in text.split("-")]
            try:
                if len(parts) != 2 or any(len(p) != 5 or p[2] != ":" for p in parts):
                    raise ValueError
                start, end = dt.time.fromisoformat(parts[0]), dt.time.fromisoformat(parts[1])
            except ValueError:
                raise ValidationFailed(
                    "invalid_window", "Enter working hours as HH:MM-HH:MM.", field=field
                ) from None
            if start >= end:
                raise ValidationFailed(
                    "window_order", "A working window must start before it ends.", field=field
                )
            parsed.append((start, end))
        parsed.sort()
        for (_s1, e1), (s2, _e2) in itertools.pairwise(parsed):
            if s2 < e1:
                raise ValidationFailed(
                    "window_overlap", "Working windows of a day overlap.", field=field
                )
        if parsed:
            out[str(day)] = [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in parsed]
    return out


def _calendar_dates(values: list[Any], *, field: str) -> list[str]:
    from anzu.common import validate as v

    dates = {v.date(value, field=field) for value in values or []}
    return sorted(d.isoformat() for d in dates if d is not None)


def calendar_update(
    *,
    calendar: BusinessCalendar,
    by: User,
    windows: dict[Any, Any],
    holidays: list[Any],
    workdays: list[Any],
    always: bool | None = None,
    now: dt.datetime | None = None,
) -> BusinessCalendar:
    """Change a business calendar (windows per weekday, holidays, 调休 workdays); open clocks
    are recomputed against it."""
    from anzu.common import clock
    from anzu.common.errors import ValidationFailed
    from anzu.core import access

    access.require(by, "workorders.review")
    clean_windows = _calendar_windows(windows)
    clean_holidays = _calendar_dates(holidays, field="holidays")
    clean_workdays = _calendar_dates(workdays, field="workdays")
    if set(clean_holidays) & set(clean_workdays):
        raise ValidationFailed(
            "date_conflict", "A date cannot be both a holiday and a workday.", field="workdays"
        )
    fields = ["windows", "holidays", "workdays", "always"]
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        before = audit.snapshot(locked, fields)
        locked.windows = clean_windows
        locked.holidays = clean_holidays
        locked.workdays = clean_workdays
        if always is not None:
            locked.always = always
        locked.save()
        audit.record(
            action="business_calendar.update",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes=audit.diff(before, audit.snapshot(locked, fields)),
        )
        clocks_recompute(organization_id=locked.organization_id, now=now or clock.now())
    return locked
