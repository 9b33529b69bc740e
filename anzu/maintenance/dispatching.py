"""Dispatch: who gets a ticket, and why.

The database side of :mod:`anzu.maintenance.engine.dispatch`: engineers and tickets are read
into the engine's ``EngineerInfo``/``TicketInfo``, the engine ranks them (hard filters — skill,
territory, shift, capacity — then a weighted score of distance, load, rating and history on the
unit), and the result is stored on the :class:`~anzu.maintenance.models.Assignment` with every
candidate's score and reasons, so each assignment explains itself.

An engineer's open load is their tickets in ``engineer_accepted`` or ``on_site``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_noop

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import User
from anzu.maintenance.choices import (
    LOAD_STATUSES,
    UNASSIGNED_STATUSES,
    AssignmentMethod,
    AssignmentStatus,
    TicketStatus,
)
from anzu.maintenance.models import (
    Assignment,
    DispatchRule,
    EngineerProfile,
    Rating,
    Ticket,
)
from anzu.maintenance.services import TRANSITIONS, IllegalTransition, literal, lock, move

S = TicketStatus

MESSAGES = [
    gettext_noop("Only the engineer the work order was offered to can do this."),
    gettext_noop("This offer is no longer open."),
    gettext_noop("Unknown engineer."),
    gettext_noop("Give a reason."),
    gettext_noop("Shifts map weekdays 0–6 to spans."),
]


def dispatch_rule(organization_id: int) -> DispatchRule:
    rule, _created = DispatchRule.objects.get_or_create(organization_id=organization_id)
    return rule


def _weights(rule: DispatchRule) -> Any:
    from anzu.maintenance.engine.dispatch import Weights

    return Weights(
        distance=rule.weight_distance,
        load=rule.weight_load,
        rating=rule.weight_rating,
        history=rule.weight_history,
    )


def on_shift(shifts: dict[str, Any], at: dt.datetime, tz: str | None = None) -> bool:
    """Whether ``at`` falls in one of the weekly shifts (no shifts = always available)."""
    if not shifts:
        return True
    local = clock.local(at, tz)
    minute = local.hour * 60 + local.minute
    for start, end in shifts.get(str(local.weekday()), []):
        sh, sm = (int(x) for x in start.split(":"))
        eh, em = (int(x) for x in end.split(":"))
        if sh * 60 + sm <= minute < eh * 60 + em:
            return True
    return False


def engineer_infos(
    organization_id: int,
    *,
    unit_id: int | None = None,
    unit_ids: list[int] | None = None,
    at: dt.datetime | None = None,
) -> list[Any]:
    """The organization's active engineers as the engine sees them (a handful of queries)."""
    from anzu.maintenance.engine.dispatch import EngineerInfo

    at = at or clock.now()
    profiles = list(
        EngineerProfile.objects.filter(
            organization_id=organization_id, is_active=True, user__is_active=True
        ).order_by("user_id")
    )
    ids = [p.user_id for p in profiles]
    loads = dict(
        Ticket.objects.filter(assigned_engineer_id__in=ids, status__in=LOAD_STATUSES)
        .values_list("assigned_engineer_id")
        .annotate(n=Count("id"))
    )
    ratings = dict(
        Rating.objects.filter(ticket__assigned_engineer_id__in=ids)
        .values_list("ticket__assigned_engineer_id")
        .annotate(avg=Avg("score"))
    )
    history: dict[int, int] = {}
    unit_history: dict[int, dict[int, int]] = {}
    wanted = [unit_id] if unit_id is not None else list(unit_ids or [])
    if wanted:
        rows = (
            Ticket.objects.filter(
                assigned_engineer_id__in=ids, unit_id__in=wanted, completed_at__isnull=False
            )
            .values_list("assigned_engineer_id", "unit_id")
            .annotate(n=Count("id"))
        )
        for engineer_id, row_unit, n in rows:
            unit_history.setdefault(engineer_id, {})[row_unit] = n
            if row_unit == unit_id:
                history[engineer_id] = n
    return [
        EngineerInfo(
            id=p.user_id,
            skills=frozenset(p.skills or []),
            project_ids=frozenset(int(x) for x in p.project_ids or []),
            building_ids=frozenset(int(x) for x in p.building_ids or []),
            on_shift=on_shift(p.shifts or {}, at),
            lat=p.base_lat,
            lng=p.base_lng,
            open_load=int(loads.get(p.user_id, 0)),
            capacity=int(p.capacity),
            rating=float(ratings[p.user_id]) if ratings.get(p.user_id) is not None else None,
            history_on_unit=int(history.get(p.user_id, 0)),
            unit_history=unit_history.get(p.user_id, {}),
        )
        for p in profiles
    ]


def ticket_info(ticket: Ticket) -> Any:
    from anzu.maintenance.engine.dispatch import TicketInfo

    building = ticket.building
    return TicketInfo(
        id=ticket.pk,
        skill=ticket.category.skill,
        project_id=ticket.project_id,
        building_id=ticket.building_id,
        unit_id=ticket.unit_id,
        lat=float(building.latitude) if building.latitude is not None else None,
        lng=float(building.longitude) if building.longitude is not None else None,
        urgency=ticket.urgency,
    )


def candidate_json(candidate: Any) -> dict[str, Any]:
    data: dict[str, Any] = candidate.as_dict() if hasattr(candidate, "as_dict") else dict(candidate)
    return {
        "engineer_id": data.get("engineer_id"),
        "eligible": bool(data.get("eligible")),
        "score": round(float(data.get("score") or 0.0), 4),
        "distance_km": (
            round(float(data["distance_km"]), 3) if data.get("distance_km") is not None else None
        ),
        "reasons": [
            r if isinstance(r, dict) else {"code": str(r), "text": str(r)}
            for r in data.get("reasons") or []
        ],
        "components": {k: round(float(x), 4) for k, x in (data.get("components") or {}).items()},
    }


def rank_ticket(ticket: Ticket, *, at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The ranked candidates of a ticket, as stored on assignments."""
    from anzu.maintenance.engine.dispatch import rank

    engineers = engineer_infos(ticket.organization_id, unit_id=ticket.unit_id, at=at)
    weights = _weights(dispatch_rule(ticket.organization_id))
    return [candidate_json(c) for c in rank(ticket_info(ticket), engineers, weights)]


def _declined_ids(ticket: Ticket) -> set[int]:
    return set(
        Assignment.objects.filter(ticket=ticket, status=AssignmentStatus.DECLINED).values_list(
            "engineer_id", flat=True
        )
    )


def _supersede(ticket: Ticket, at: dt.datetime) -> None:
    Assignment.objects.filter(
        ticket=ticket, status__in=[AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED]
    ).update(status=AssignmentStatus.SUPERSEDED, decided_at=at)


def _notify_offer(assignment: Assignment) -> None:
    from anzu.notify.services import outbox_enqueue

    ticket = assignment.ticket
    outbox_enqueue(
        organization_id=ticket.organization_id,
        channel="in_app",
        user_id=assignment.engineer_id,
        idempotency_key=f"workorder-offer:{assignment.pk}",
        subject="新工单 {ticket_code}",
        body=literal(f"工单 {ticket.number}（{ticket.category.name}）派给您，请尽快接单。"),
        payload={"ticket_code": ticket.number},
    )


def _offer(
    ticket: Ticket,
    *,
    by: Any,
    at: dt.datetime,
    method: str = AssignmentMethod.AUTO,
    note: str = "",
) -> Assignment | None:
    """Rank and offer a locked ticket to the best eligible engineer who has not declined it."""
    candidates = rank_ticket(ticket, at=at)
    declined = _declined_ids(ticket)
    best = next((c for c in candidates if c["eligible"] and c["engineer_id"] not in declined), None)
    _supersede(ticket, at)
    assignment = None
    if best is not None:
        assignment = Assignment.objects.create(
            ticket=ticket,
            engineer_id=best["engineer_id"],
            by=by if access.is_staff_user(by) else None,
            method=method,
            candidates=candidates,
            created_at=at,
        )
    move(
        ticket,
        S.DISPATCHING,
        by=by,
        at=at,
        note=note,
        data={
            "engineer_id": best["engineer_id"] if best else None,
            "assignment_id": assignment.pk if assignment else None,
            "method": method,
            "no_eligible_engineer": best is None,
        },
    )
    if assignment is not None:
        _notify_offer(assignment)
    return assignment


def _require_dispatcher(by: Any) -> None:
    if by is not None:
        access.require(by, "workorders.dispatch")


def _check_can_dispatch(ticket: Ticket) -> None:
    if S.DISPATCHING not in TRANSITIONS.get(ticket.status, frozenset()):
        raise IllegalTransition(current=ticket.status, target=S.DISPATCHING)


def ticket_dispatch(*, ticket: Ticket, by: User | None = None) -> Ticket:
    """Offer the ticket to the best eligible engineer (``by=None``: the system)."""
    _require_dispatcher(by)
    _check_can_dispatch(ticket)
    now = clock.now()
    with transaction.atomic():
        locked = lock(ticket)
        _check_can_dispatch(locked)
        _offer(locked, by=by, at=now)
    return locked


def auto_dispatch_on_commit(ticket: Ticket) -> None:
    """Enqueue the automatic dispatch of a new ticket when the organization wants it."""
    if not dispatch_rule(ticket.organization_id).auto_dispatch:
        return
    from anzu.maintenance import tasks

    ticket_id = ticket.pk
    transaction.on_commit(lambda: tasks.ticket_auto_dispatch(ticket_id))


def _open_offer(assignment: Assignment, by: Any) -> None:
    if not (access.can(by, "workorders.work") and assignment.engineer_id == by.pk):
        raise PermissionDenied("Only the engineer the work order was offered to can do this.")
    if assignment.status != AssignmentStatus.OFFERED:
        raise Conflict("offer_closed", "This offer is no longer open.", field="assignment")


def assignment_accept(*, assignment: Assignment, by: User) -> Assignment:
    _open_offer(assignment, by)
    now = clock.now()
    with transaction.atomic():
        ticket = lock(assignment.ticket)
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        _open_offer(locked, by)
        if ticket.status != S.DISPATCHING:
            raise IllegalTransition(current=ticket.status, target=S.ENGINEER_ACCEPTED)
        locked.status = AssignmentStatus.ACCEPTED
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at"])
        ticket.assigned_engineer = by
        ticket.save(update_fields=["assigned_engineer"])
        move(ticket, S.ENGINEER_ACCEPTED, by=by, at=now, data={"assignment_id": locked.pk})
    return locked


def assignment_decline(*, assignment: Assignment, by: User, reason: str) -> Assignment:
    """The engineer declines; the next eligible candidate gets the offer."""
    _open_offer(assignment, by)
    text = v.text(reason, field="reason", max_length=500)
    now = clock.now()
    with transaction.atomic():
        ticket = lock(assignment.ticket)
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        _open_offer(locked, by)
        locked.status = AssignmentStatus.DECLINED
        locked.decided_at = now
        locked.reason = text
        locked.save(update_fields=["status", "decided_at", "reason"])
        audit.record(
            action="assignment.decline",
            obj=locked,
            organization=ticket.organization_id,
            actor=by,
            changes={"status": ["offered", "declined"], "reason": [None, text]},
        )
        if ticket.status == S.DISPATCHING:
            _offer(ticket, by=None, at=now, note=f"declined by {by.label}: {text}")
    return locked


def ticket_assign_override(*, ticket: Ticket, engineer: Any, by: User, reason: str) -> Assignment:
    """A dispatcher offers the ticket to an engineer of their choice, with a reason."""
    access.require(by, "workorders.dispatch")
    text = v.text(reason, field="reason", max_length=500)
    engineer_id = engineer.pk if isinstance(engineer, User) else engineer
    profile = (
        EngineerProfile.objects.filter(
            organization_id=ticket.organization_id, user_id=engineer_id, is_active=True
        )
        .select_related("user")
        .first()
        if isinstance(engineer_id, int)
        else None
    )
    if profile is None or not profile.user.is_active:
        raise ValidationFailed("not_found", "Unknown engineer.", field="engineer_id")
    _check_can_dispatch(ticket)
    now = clock.now()
    with transaction.atomic():
        locked = lock(ticket)
        _check_can_dispatch(locked)
        candidates = rank_ticket(locked, at=now)
        _supersede(locked, now)
        assignment = Assignment.objects.create(
            ticket=locked,
            engineer_id=profile.user_id,
            by=by,
            method=AssignmentMethod.OVERRIDE,
            candidates=candidates,
            created_at=now,
            reason=text,
        )
        move(
            locked,
            S.DISPATCHING,
            by=by,
            at=now,
            note=text,
            data={
                "engineer_id": profile.user_id,
                "assignment_id": assignment.pk,
                "method": AssignmentMethod.OVERRIDE,
            },
        )
        _notify_offer(assignment)
    return assignment


def backlog_redispatch(*, org: Any, by: User | None = None) -> list[dict[str, Any]]:
    """Re-assign every unaccepted ticket of the organization at once (optimal assignment)."""
    from anzu.maintenance.engine.dispatch import assign_backlog

    _require_dispatcher(by)
    organization_id = org if isinstance(org, int) else org.pk
    if by is not None and by.organization_id != organization_id:
        raise PermissionDenied()
    now = clock.now()
    results: list[dict[str, Any]] = []
    with transaction.atomic():
        qs = Ticket.objects.filter(organization_id=organization_id, status__in=UNASSIGNED_STATUSES)
        if by is not None:
            scope = access.scope_of(by)
            qs = qs.filter(scope.q(project="project_id", building="building_id"))
        tickets = list(
            qs.select_for_update()
            .select_related("category", "building")
            .order_by("reported_at", "id")
        )
        if not tickets:
            return results
        engineers = engineer_infos(
            organization_id, unit_ids=sorted({t.unit_id for t in tickets}), at=now
        )
        weights = _weights(dispatch_rule(organization_id))
        by_id = {t.pk: t for t in tickets}
        plan = assign_backlog([ticket_info(t) for t in tickets], engineers, weights)
        for ticket_id, engineer_id, ranked in plan:
            ticket = by_id[ticket_id]
            candidates = [candidate_json(c) for c in ranked]
            _supersede(ticket, now)
            assignment = None
            if engineer_id is not None:
                assignment = Assignment.objects.create(
                    ticket=ticket,
                    engineer_id=engineer_id,
                    by=by,
                    method=AssignmentMethod.BACKLOG,
                    candidates=candidates,
                    created_at=now,
                )
            move(
                ticket,
                S.DISPATCHING,
                by=by,
                at=now,
                data={
                    "engineer_id": engineer_id,
                    "assignment_id": assignment.pk if assignment else None,
                    "method": AssignmentMethod.BACKLOG,
                    "no_eligible_engineer": engineer_id is None,
                },
            )
            if assignment is not None:
                _notify_offer(assignment)
            results.append({"ticket_id": ticket_id, "engineer_id": engineer_id})
        audit.record(
            action="workorder.backlog_redispatch",
            object_type="maintenance.ticket",
            object_id="backlog",
            organization=organization_id,
            actor=by,
            changes={"plan": [[r["ticket_id"], r["engineer_id"]] for r in results]},
        )
    return results


def engineer_profile_save(
    *,
    user: User,
    by: User,
    skills: list[str],
    project_ids: list[int] | None = None,
    building_ids: list[int] | None = None,
    shifts: dict[str, Any] | None = None,
    base_lat: float | None = None,
    base_lng: float | None = None,
    capacity: int = 5,
    is_active: bool = True,
) -> EngineerProfile:
    """Create or update an engineer's dispatch profile."""
    from anzu.maintenance.categories import SKILL_NAMES

    access.require(by, "workorders.dispatch")
    if user.organization_id != by.organization_id or not user.has_role("engineer"):
        raise ValidationFailed("not_found", "Unknown engineer.", field="user")
    if not isinstance(skills, list) or any(s not in SKILL_NAMES for s in skills):
        raise ValidationFailed(
            "invalid_choice", f"Choose skills from: {', '.join(SKILL_NAMES)}.", field="skills"
        )
    cap = v.integer(capacity, field="capacity", minimum=1, maximum=50)
    for day, spans in (shifts or {}).items():
        if day not in {str(d) for d in range(7)} or not isinstance(spans, list):
            raise ValidationFailed("invalid", "Shifts map weekdays 0–6 to spans.", field="shifts")
        for span in spans:
            try:
                start, end = (dt.time.fromisoformat(x) for x in span)
            except (TypeError, ValueError):
                raise ValidationFailed(
                    "invalid", "Shifts map weekdays 0–6 to spans.", field="shifts"
                ) from None
            if end <= start:
                raise ValidationFailed(
                    "invalid", "Shifts map weekdays 0–6 to spans.", field="shifts"
                )
    values = {
        "organization_id": user.organization_id,
        "skills": sorted(set(skills)),
        "project_ids": sorted({int(x) for x in project_ids or []}),
        "building_ids": sorted({int(x) for x in building_ids or []}),
        "shifts": shifts or {},
        "base_lat": base_lat,
        "base_lng": base_lng,
        "capacity": cap,
        "is_active": is_active,
    }
    with transaction.atomic():
        profile, created = EngineerProfile.objects.select_for_update().get_or_create(
            user=user, defaults=values
        )
        before = {} if created else audit.snapshot(profile, list(values))
        if not created:
            for name, value in values.items():
                setattr(profile, name, value)
            profile.save()
        audit.record(
            action="engineer_profile.save",
            obj=profile,
            organization=user.organization_id,
            actor=by,
            changes=audit.diff(before, audit.snapshot(profile, list(values))),
        )
    return profile


def offers_for(user: User) -> Q:
    return Q(assignments__engineer_id=user.pk, assignments__status=AssignmentStatus.OFFERED)
