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
from anzu.maintenance.choices import OPEN_STATUSES, ClockKind, Urgency
from anzu.maintenance.models import (
    BusinessCalendar,
    Category,
    SlaClock,
    SlaPolicy,
    Ticket,
    TicketEvent,
)

# (first response, on site, resolution) in minutes, by urgency; all on a 24×7 calendar.
DEFAULT_TARGETS: dict[str, tuple[int, int, int]] = {
    "": (120, 24 * 60, 72 * 60),
    Urgency.URGENT: (60, 8 * 60, 24 * 60),
    Urgency.EMERGENCY: (30, 2 * 60, 8 * 60),
}
DEFAULT_AUTO_VERIFY_HOURS = 72
DEFAULT_REOPEN_DAYS = 7
WARN_RATIO = 0.8
#: Statuses a policy may pause its clocks in (a ticket still open).
PAUSABLE_STATES = tuple(str(s) for s in OPEN_STATUSES)
#: Upper bound of a target (90 days) and of the auto-verify delay.
MAX_MINUTES = 60 * 24 * 90
Timeline = list[tuple[str, dt.datetime]]


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


def status_pauses(
    timeline: Timeline, states: Any, *, until: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The intervals a ticket spent in one of ``states``, from its ``(to_status, at)`` timeline
    in order; a pause still going on ends at ``until``."""
    wanted = set(states or ())
    out: list[tuple[dt.datetime, dt.datetime]] = []
    since: dt.datetime | None = None
    for status, at in timeline:
        if status in wanted and since is None:
            since = at
        elif status not in wanted and since is not None:
            out.append((since, at))
            since = None
    if since is not None and until > since:
        out.append((since, until))
    return out


def timeline_of(ticket_ids: Any) -> dict[int, Timeline]:
    """``(to_status, at)`` of the tickets' status changes, in order (one query)."""
    out: dict[int, Timeline] = {}
    rows = (
        TicketEvent.objects.filter(ticket_id__in=list(ticket_ids))
        .exclude(to_status="")
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "to_status", "at")
    )
    for ticket_id, status, at in rows:
        out.setdefault(ticket_id, []).append((status, at))
    return out


def _pauses(
    clock: SlaClock, *, until: dt.datetime | None = None, timeline: Timeline | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Stored pauses (completion → reopening) plus the time spent in the clock's pause states."""
    stored = [
        (dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b))
        for a, b in clock.paused_segments or []
    ]
    if not clock.pause_states or until is None:
        return stored
    if timeline is None:
        timeline = timeline_of([clock.ticket_id]).get(clock.ticket_id, [])
    return stored + status_pauses(timeline, clock.pause_states, until=until)


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
                pause_states=list(policy.pause_states or []),
                target_seconds=target,
                started_at=ticket.reported_at,
                due_at=add_business_seconds(policy.calendar, ticket.reported_at, target, []),
            )
        )
    SlaClock.objects.bulk_create(clocks)
    return clocks


def elapsed_seconds(clock: SlaClock, *, now: dt.datetime, timeline: Timeline | None = None) -> int:
    end = clock.stopped_at or now
    pauses = _pauses(clock, until=end, timeline=timeline)
    return business_seconds(clock.policy.calendar, clock.started_at, end, pauses)


def refresh(clock: SlaClock, *, now: dt.datetime, timeline: Timeline | None = None) -> SlaClock:
    """Recompute the due time and the breach flag of one clock (not saved).

    While the ticket sits in one of the clock's pause states the due time assumes the pause
    ends now; leaving the state recomputes it (:func:`clocks_after_transition`).
    """
    end = clock.stopped_at or now
    if clock.pause_states and timeline is None:
        timeline = timeline_of([clock.ticket_id]).get(clock.ticket_id, [])
    pauses = _pauses(clock, until=end, timeline=timeline)
    clock.due_at = add_business_seconds(
        clock.policy.calendar, clock.started_at, clock.target_seconds, pauses
    )
    clock.breached = (
        business_seconds(clock.policy.calendar, clock.started_at, end, pauses)
        > clock.target_seconds
    )
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


def clocks_after_transition(ticket: Ticket, *, before: str, to: str, at: dt.datetime) -> int:
    """After a status change (inside the caller's transaction, its timeline event written):
    recompute the running clocks that pause in the old or the new status."""
    rows = [
        c
        for c in SlaClock.objects.select_related("policy__calendar").filter(
            ticket=ticket, stopped_at__isnull=True
        )
        if before in (c.pause_states or []) or to in (c.pause_states or [])
    ]
    if not rows:
        return 0
    timeline = timeline_of([ticket.pk]).get(ticket.pk, [])
    for clock in rows:
        refresh(clock, now=at, timeline=timeline)
    SlaClock.objects.bulk_update(rows, ["due_at", "breached"])
    return len(rows)


def clocks_recompute(*, organization_id: int, now: dt.datetime) -> int:
    """Recompute due times and breach flags of an organization's clocks (after a change).

    Running clocks whose policy has a new version take its targets and pause states; stopped
    clocks keep theirs and are only re-measured against the current calendar.
    """
    rows = list(
        SlaClock.objects.filter(ticket__organization_id=organization_id).select_related(
            "policy__calendar"
        )
    )
    for clock in rows:
        if clock.policy.version != clock.policy_version and clock.stopped_at is None:
            clock.target_seconds = clock.policy.minutes_for(clock.kind) * 60
            clock.pause_states = list(clock.policy.pause_states or [])
            clock.policy_version = clock.policy.version
    timelines = timeline_of({c.ticket_id for c in rows if c.pause_states})
    for clock in rows:
        refresh(clock, now=now, timeline=timelines.get(clock.ticket_id, []))
    SlaClock.objects.bulk_update(
        rows,
        ["due_at", "breached", "target_seconds", "policy_version", "pause_states"],
        batch_size=500,
    )
    return len(rows)


def _minutes(name: str, value: Any) -> int:
    from anzu.common import validate as v

    return v.integer(value, field=name, minimum=1, maximum=MAX_MINUTES)


def _pause_states(value: Any) -> list[str]:
    from anzu.common.errors import ValidationFailed

    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple | set):
        raise ValidationFailed("invalid", "Choose statuses from the list.", field="pause_states")
    states = []
    for item in value:
        if item not in PAUSABLE_STATES:
            raise ValidationFailed(
                "invalid_choice",
                "Only the statuses of an open work order can pause a clock.",
                field="pause_states",
            )
        states.append(str(item))
    return sorted(set(states), key=PAUSABLE_STATES.index)


def _target_order(values: dict[str, int]) -> None:
    """First response ≤ on site ≤ resolution."""
    from anzu.common.errors import ValidationFailed

    if values["on_site_minutes"] < values["first_response_minutes"]:
        raise ValidationFailed(
            "target_order",
            "The on-site target cannot be shorter than the first-response target.",
            field="on_site_minutes",
        )
    if values["resolution_minutes"] < values["on_site_minutes"]:
        raise ValidationFailed(
            "target_order",
            "The resolution target cannot be shorter than the on-site target.",
            field="resolution_minutes",
        )


def _org_calendar(organization_id: int, value: Any) -> BusinessCalendar:
    from anzu.common.errors import ValidationFailed

    try:
        return BusinessCalendar.objects.get(organization_id=organization_id, pk=int(value))
    except (TypeError, ValueError, BusinessCalendar.DoesNotExist):
        raise ValidationFailed(
            "unknown_calendar", "Unknown business calendar.", field="calendar_id"
        ) from None


def _lock_organization(organization_id: int) -> None:
    """Serialize policy and calendar creation per organization (duplicate checks)."""
    Organization.objects.select_for_update(no_key=True).filter(pk=organization_id).first()


def sla_policy_create(
    *,
    organization_id: int,
    by: User,
    category: str | None,
    urgency: str,
    first_response_minutes: Any,
    on_site_minutes: Any,
    resolution_minutes: Any,
    calendar_id: Any,
    auto_verify_hours: Any = DEFAULT_AUTO_VERIFY_HOURS,
    reopen_days: Any = DEFAULT_REOPEN_DAYS,
    pause_states: Any = None,
) -> SlaPolicy:
    """A new policy for a category (code; empty = any) × urgency (empty = any).

    It applies to work orders reported from now on where it is the most specific policy;
    clocks already running keep the policy they started with.
    """
    from anzu.common import validate as v
    from anzu.common.errors import ValidationFailed
    from anzu.core import access

    access.require(by, "workorders.review")
    sla_ensure_default(organization_id)
    code = (category or "").strip()
    category_obj = None
    if code:
        from anzu.maintenance.categories import categories_ensure

        category_obj = categories_ensure(organization_id).get(code)
        if category_obj is None:
            raise ValidationFailed("unknown_category", "Unknown fault category.", field="category")
    if urgency not in ("", *Urgency.values):
        raise ValidationFailed("invalid_choice", "Unknown urgency.", field="urgency")
    values = {
        "first_response_minutes": _minutes("first_response_minutes", first_response_minutes),
        "on_site_minutes": _minutes("on_site_minutes", on_site_minutes),
        "resolution_minutes": _minutes("resolution_minutes", resolution_minutes),
    }
    _target_order(values)
    hours = v.integer(auto_verify_hours, field="auto_verify_hours", minimum=1, maximum=24 * 90)
    days = v.integer(reopen_days, field="reopen_days", minimum=0, maximum=365)
    calendar = _org_calendar(organization_id, calendar_id)
    states = _pause_states(pause_states)
    with transaction.atomic():
        _lock_organization(organization_id)
        if SlaPolicy.objects.filter(
            organization_id=organization_id,
            category=category_obj,
            urgency=urgency,
            is_active=True,
        ).exists():
            raise ValidationFailed(
                "duplicate_policy",
                "A policy for this category and urgency already exists.",
                field="urgency",
            )
        policy = SlaPolicy.objects.create(
            organization_id=organization_id,
            category=category_obj,
            urgency=urgency,
            calendar=calendar,
            auto_verify_hours=hours,
            reopen_days=days,
            pause_states=states,
            **values,
        )
        audit.record(
            action="sla_policy.create",
            obj=policy,
            organization=organization_id,
            actor=by,
            changes={
                "category": [None, code or "*"],
                "urgency": [None, urgency or "*"],
                **{name: [None, value] for name, value in values.items()},
                "calendar": [None, calendar.pk],
                "pause_states": [None, states],
            },
        )
    return policy


POLICY_FIELDS = [
    "first_response_minutes",
    "on_site_minutes",
    "resolution_minutes",
    "auto_verify_hours",
    "reopen_days",
    "calendar",
    "pause_states",
    "version",
]


def sla_policy_update(
    *,
    policy: SlaPolicy,
    by: User,
    first_response_minutes: int | None = None,
    on_site_minutes: int | None = None,
    resolution_minutes: int | None = None,
    auto_verify_hours: int | None = None,
    reopen_days: int | None = None,
    calendar_id: int | None = None,
    pause_states: list[str] | None = None,
    now: dt.datetime,
) -> SlaPolicy:
    """Change a policy (a new version); running clocks take the new targets and pause states,
    and every clock of the organization is recomputed. Arguments left ``None`` keep their
    value."""
    from anzu.common import validate as v
    from anzu.common.errors import Conflict
    from anzu.core import access

    access.require(by, "workorders.review")
    values: dict[str, Any] = {}
    for name, value in (
        ("first_response_minutes", first_response_minutes),
        ("on_site_minutes", on_site_minutes),
        ("resolution_minutes", resolution_minutes),
        ("auto_verify_hours", auto_verify_hours),
    ):
        if value is not None:
            values[name] = v.integer(value, field=name, minimum=1, maximum=MAX_MINUTES)
    if reopen_days is not None:
        values["reopen_days"] = v.integer(reopen_days, field="reopen_days", minimum=0, maximum=365)
    if calendar_id is not None:
        values["calendar"] = _org_calendar(policy.organization_id, calendar_id)
    if pause_states is not None:
        values["pause_states"] = _pause_states(pause_states)
    with transaction.atomic():
        locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        if not locked.is_active:
            raise Conflict("policy_retired", "This policy was retired and cannot be changed.")
        _target_order(
            {
                name: values.get(name, getattr(locked, name))
                for name in ("first_response_minutes", "on_site_minutes", "resolution_minutes")
            }
        )
        before = audit.snapshot(locked, POLICY_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save()
        audit.record(
            action="sla_policy.update",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes=audit.diff(before, audit.snapshot(locked, POLICY_FIELDS)),
        )
        clocks_recompute(organization_id=locked.organization_id, now=now)
    return locked


def sla_policy_retire(*, policy: SlaPolicy, by: User) -> SlaPolicy:
    """Stop using a policy for new work orders (kept for the clocks that used it). The
    organization's catch-all policy (any category, any urgency) cannot be retired."""
    from anzu.common.errors import Conflict
    from anzu.core import access

    access.require(by, "workorders.review")
    with transaction.atomic():
        locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        if locked.category_id is None and not locked.urgency:
            raise Conflict(
                "default_policy", "The catch-all policy cannot be retired; edit it instead."
            )
        if not locked.is_active:
            raise Conflict("policy_retired", "This policy was retired and cannot be changed.")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit.record(
            action="sla_policy.retire",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"is_active": [True, False]},
        )
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


def _calendar_tz(value: Any) -> str:
    import zoneinfo

    from anzu.common.errors import ValidationFailed

    name = str(value or "").strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ValidationFailed("invalid", "Unknown time zone.", field="tz") from None
    return name


def _calendar_clean(
    *, windows: Any, holidays: Any, workdays: Any, always: bool
) -> tuple[dict[str, list[list[str]]], list[str], list[str]]:
    from anzu.common.errors import ValidationFailed

    clean_windows = _calendar_windows(windows)
    clean_holidays = _calendar_dates(holidays, field="holidays")
    clean_workdays = _calendar_dates(workdays, field="workdays")
    if set(clean_holidays) & set(clean_workdays):
        raise ValidationFailed(
            "date_conflict", "A date cannot be both a holiday and a workday.", field="workdays"
        )
    if not always and not clean_windows:
        raise ValidationFailed(
            "no_windows",
            "Enter working hours for at least one weekday, or choose 24×7.",
            field="windows",
        )
    return clean_windows, clean_holidays, clean_workdays


def calendar_create(
    *,
    organization_id: int,
    by: User,
    name: str,
    windows: dict[Any, Any],
    holidays: list[Any],
    workdays: list[Any],
    always: bool = False,
    tz: str = "Asia/Shanghai",
) -> BusinessCalendar:
    """A new business calendar; policies use it once they are linked to it."""
    from anzu.common import validate as v
    from anzu.common.errors import ValidationFailed
    from anzu.core import access

    access.require(by, "workorders.review")
    clean_name = v.text(name, field="name", max_length=100)
    clean_tz = _calendar_tz(tz)
    clean_windows, clean_holidays, clean_workdays = _calendar_clean(
        windows=windows, holidays=holidays, workdays=workdays, always=bool(always)
    )
    with transaction.atomic():
        _lock_organization(organization_id)
        if BusinessCalendar.objects.filter(
            organization_id=organization_id, name=clean_name
        ).exists():
            raise ValidationFailed(
                "duplicate_name", "A calendar with this name already exists.", field="name"
            )
        calendar = BusinessCalendar.objects.create(
            organization_id=organization_id,
            name=clean_name,
            tz=clean_tz,
            always=bool(always),
            windows=clean_windows,
            holidays=clean_holidays,
            workdays=clean_workdays,
        )
        fields = ["name", "tz", "always", "windows", "holidays", "workdays"]
        audit.record(
            action="business_calendar.create",
            obj=calendar,
            organization=organization_id,
            actor=by,
            changes=audit.diff(dict.fromkeys(fields), audit.snapshot(calendar, fields)),
        )
    return calendar


def calendar_update(
    *,
    calendar: BusinessCalendar,
    by: User,
    windows: dict[Any, Any],
    holidays: list[Any],
    workdays: list[Any],
    always: bool | None = None,
    name: str | None = None,
    now: dt.datetime | None = None,
) -> BusinessCalendar:
    """Change a business calendar (windows per weekday, holidays, 调休 workdays, and its name);
    every clock of the organization is recomputed against it."""
    from anzu.common import clock
    from anzu.common import validate as v
    from anzu.common.errors import ValidationFailed
    from anzu.core import access

    access.require(by, "workorders.review")
    clean_name = v.text(name, field="name", max_length=100) if name is not None else None
    effective_always = calendar.always if always is None else bool(always)
    clean_windows, clean_holidays, clean_workdays = _calendar_clean(
        windows=windows, holidays=holidays, workdays=workdays, always=effective_always
    )
    fields = ["name", "windows", "holidays", "workdays", "always"]
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        if (
            clean_name is not None
            and clean_name != locked.name
            and BusinessCalendar.objects.filter(
                organization_id=locked.organization_id, name=clean_name
            ).exists()
        ):
            raise ValidationFailed(
                "duplicate_name", "A calendar with this name already exists.", field="name"
            )
        before = audit.snapshot(locked, fields)
        if clean_name is not None:
            locked.name = clean_name
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


def calendar_delete(*, calendar: BusinessCalendar, by: User) -> None:
    """Delete a calendar no policy refers to (current or retired); otherwise a conflict."""
    from anzu.common.errors import Conflict
    from anzu.core import access

    access.require(by, "workorders.review")
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        if SlaPolicy.objects.filter(calendar=locked).exists():
            raise Conflict(
                "calendar_in_use",
                "This calendar is used by an SLA policy and cannot be deleted.",
                field="calendar",
            )
        audit.record(
            action="business_calendar.delete",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"name": [locked.name, None]},
        )
        locked.delete()
