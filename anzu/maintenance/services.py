"""Writes of the maintenance app: intake, the ticket state machine, ratings, review cases.

States: accepted → dispatching → engineer_accepted → on_site → completed → verified, plus
reopened (from completed/verified within the policy's reopen window) and cancelled. Every
transition locks the ticket, checks the table :data:`TRANSITIONS` and who may make it, stamps
the ticket's timestamps, appends a :class:`~anzu.maintenance.models.TicketEvent`, updates the
SLA clocks and is audited, all in one transaction. Dispatch lives in
:mod:`anzu.maintenance.dispatching`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_noop

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.crypto import blind_index
from anzu.common.errors import (
    Conflict,
    PermissionDenied,
    ValidationFailed,
)
from anzu.core import access, audit, counters
from anzu.core.models import Organization, User
from anzu.leasing.idnumbers import phone_problem
from anzu.leasing.models import Customer, Lease
from anzu.maintenance import clocks
from anzu.maintenance import photos as photo_store
from anzu.maintenance.categories import categories_ensure
from anzu.maintenance.choices import (
    RATING_TAGS,
    AssignmentStatus,
    Channel,
    ClockKind,
    PhotoStage,
    ReviewStatus,
    RootCause,
    TicketStatus,
    Urgency,
)
from anzu.maintenance.models import (
    Assignment,
    Category,
    Rating,
    ReviewCase,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from anzu.portfolio.models import Equipment, Unit

S = TicketStatus


class IllegalTransition(Conflict):
    """A status change the state machine does not allow (HTTP 409), naming both states."""

    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(
            "illegal_transition",
            f"Cannot change status from {current} to {target}.",
            field="to",
            current=current,
            target=target,
        )


TRANSITIONS: dict[str, frozenset[str]] = {
    S.ACCEPTED: frozenset({S.DISPATCHING, S.CANCELLED}),
    S.DISPATCHING: frozenset({S.DISPATCHING, S.ENGINEER_ACCEPTED, S.CANCELLED}),
    S.ENGINEER_ACCEPTED: frozenset({S.ON_SITE, S.DISPATCHING, S.CANCELLED}),
    S.ON_SITE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.VERIFIED, S.REOPENED}),
    S.VERIFIED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.DISPATCHING, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}
REPEAT_WINDOW_DAYS = 30
REVIEW_THRESHOLD = 2

MESSAGES = [
    gettext_noop("Unknown unit."),
    gettext_noop("Unknown fault category."),
    gettext_noop("Unknown equipment."),
    gettext_noop("Unknown customer."),
    gettext_noop("You can report repairs only for a unit you rent."),
    gettext_noop("Only the assigned engineer can do this."),
    gettext_noop("Only the reporter can rate this work order."),
    gettext_noop("This work order has already been rated."),
    gettext_noop("A work order can be rated only after completion."),
    gettext_noop("Give a score from 1 to 5."),
    gettext_noop("Unknown rating tag."),
    gettext_noop("The reopen window has passed."),
    gettext_noop("The review case is already closed."),
    gettext_noop("Choose a root cause."),
    gettext_noop("Give a reason."),
]


# Helpers -------------------------------------------------------------------------------------


def _is_reporter(ticket: Ticket, by: Any) -> bool:
    return bool(
        access.is_tenant_user(by)
        and ticket.reporter_customer_id is not None
        and by.customer_id == ticket.reporter_customer_id
        and by.organization_id == ticket.organization_id
    )


def _is_human_staff(by: Any) -> bool:
    return access.is_staff_user(by)


def _org_tz(organization_id: int) -> str:
    return (
        Organization.objects.filter(pk=organization_id).values_list("time_zone", flat=True).first()
        or "Asia/Shanghai"
    )


def _number(organization_id: int, at: dt.datetime) -> str:
    day = clock.local(at, _org_tz(organization_id)).strftime("%Y%m%d")
    n = counters.next_value(organization_id=organization_id, name=f"workorder:{day}")
    return f"WO-{day}-{n:04d}"


def _notify_tenant(ticket: Ticket, event: TicketEvent) -> None:
    """An in-app message to the reporting tenant about a visible step (inside the transaction)."""
    if ticket.reporter_customer_id is None:
        return
    from anzu.notify.services import outbox_enqueue

    label = str(S(ticket.status).label) if ticket.status in S.values else ticket.status
    outbox_enqueue(
        organization_id=ticket.organization_id,
        channel="in_app",
        customer_id=ticket.reporter_customer_id,
        idempotency_key=f"workorder:{ticket.pk}:event:{event.pk}",
        subject="工单 {ticket_code} 进度更新",
        body=literal(f"您的报修工单 {ticket.number} 当前状态：{label}。"),
        payload={"ticket_code": ticket.number, "ticket_id": ticket.pk},
    )


def literal(text: str) -> str:
    """Text for the outbox with no placeholders (braces escaped)."""
    return text.replace("{", "{{").replace("}", "}}")


def _event(
    ticket: Ticket,
    *,
    before: str,
    after: str,
    at: dt.datetime,
    by: Any,
    note: str = "",
    kind: str = "transition",
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        from_status=before,
        to_status=after,
        at=at,
        actor=by if _actor_ok(by) else None,
        kind=kind,
        note=note,
        data=data or {},
    )


def _actor_ok(by: Any) -> bool:
    return by is not None and getattr(by, "pk", None) is not None


def _policy(ticket: Ticket) -> Any:
    return clocks.policy_for(
        organization_id=ticket.organization_id, category=ticket.category, urgency=ticket.urgency
    )


def mark_first_response(ticket: Ticket, *, by: Any, at: dt.datetime) -> None:
    """Stamp the first human staff action (inside the caller's transaction)."""
    if ticket.first_response_at is None and _is_human_staff(by):
        ticket.first_response_at = at
        Ticket.objects.filter(pk=ticket.pk).update(first_response_at=at)
        clocks.clock_stop(ticket, ClockKind.FIRST_RESPONSE, at)


def move(
    ticket: Ticket,
    to: str,
    *,
    by: Any,
    at: dt.datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Change a locked ticket's status (inside the caller's transaction), with its effects."""
    before = ticket.status
    if to not in TRANSITIONS.get(before, frozenset()):
        raise IllegalTransition(current=before, target=to)
    ticket.status = to
    ticket.version += 1
    fields = ["status", "version", "updated_at"]
    if to == S.ON_SITE:
        ticket.on_site_at = at
        fields.append("on_site_at")
        clocks.clock_stop(ticket, ClockKind.ON_SITE, at)
    elif to == S.COMPLETED:
        ticket.completed_at = at
        policy = _policy(ticket)
        ticket.auto_verify_at = at + dt.timedelta(hours=policy.auto_verify_hours)
        fields += ["completed_at", "auto_verify_at"]
        clocks.clock_stop(ticket, ClockKind.RESOLUTION, at)
    elif to == S.VERIFIED:
        ticket.verified_at = at
        ticket.auto_verify_at = None
        fields += ["verified_at", "auto_verify_at"]
    elif to == S.REOPENED:
        ticket.auto_verify_at = None
        ticket.verified_at = None
        ticket.assigned_engineer = None
        fields += ["auto_verify_at", "verified_at", "assigned_engineer"]
        clocks.clock_resume(ticket, ClockKind.RESOLUTION, at)
    elif to == S.CANCELLED:
        ticket.cancelled_at = at
        ticket.assigned_engineer = None
        fields += ["cancelled_at", "assigned_engineer"]
        Assignment.objects.filter(ticket=ticket, status=AssignmentStatus.OFFERED).update(
            status=AssignmentStatus.SUPERSEDED, decided_at=at
        )
        for kind in ClockKind.values:
            clocks.clock_stop(ticket, kind, at)
    elif to == S.DISPATCHING and before == S.ENGINEER_ACCEPTED:
        ticket.assigned_engineer = None
        fields.append("assigned_engineer")
    ticket.save(update_fields=fields)
    if to in (S.CANCELLED, S.ENGINEER_ACCEPTED) or (to == S.DISPATCHING and _is_human_staff(by)):
        mark_first_response(ticket, by=by, at=at)
    event = _event(ticket, before=before, after=to, at=at, by=by, note=note, data=data)
    clocks.clocks_after_transition(ticket, before=before, to=to, at=at)
    audit.record(
        action=f"workorder.{to}",
        obj=ticket,
        organization=ticket.organization_id,
        actor=by if _actor_ok(by) else None,
        changes={"status": [before, to], **({"note": [None, note]} if note else {})},
    )
    if before != to:
        _notify_tenant(ticket, event)
    return event


def lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("category").get(pk=ticket.pk)


def _save_photos(
    ticket: Ticket, checked: list[photo_store.CheckedPhoto], *, stage: str, by: Any
) -> list[TicketPhoto]:
    rows = []
    for photo in checked:
        path, thumb = photo_store.store(photo)
        rows.append(
            TicketPhoto(
                ticket=ticket,
                stage=stage,
                sha256=photo.sha256,
                content_type=photo.content_type,
                size=len(photo.data),
                width=photo.width,
                height=photo.height,
                file_path=path,
                thumb_path=thumb,
                uploaded_by=by if _actor_ok(by) else None,
            )
        )
    return TicketPhoto.objects.bulk_create(rows)


# Intake --------------------------------------------------------------------------------------


def _check_intake_access(by: Any, unit: Unit) -> None:
    if by is None:
        return
    if access.is_tenant_user(by):
        rents = Lease.objects.filter(
            organization_id=unit.organization_id, unit_id=unit.pk, customer_id=by.customer_id
        ).exclude(status="void")
        if not rents.exists():
            raise ValidationFailed(
                "not_your_unit",
                "You can report repairs only for a unit you rent.",
                field="unit_id",
            )
        return
    access.require(by, "workorders.intake")
    scope = access.scope_of(by)
    if not scope.everything and not (
        unit.project_id in scope.project_ids or unit.building_id in scope.building_ids
    ):
        raise ValidationFailed("not_found", "Unknown unit.", field="unit_id")


def ticket_create(
    *,
    organization_id: int,
    unit_id: int,
    category_code: str,
    description: str,
    channel: str,
    urgency: str = "normal",
    reporter_customer_id: int | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    equipment_id: int | None = None,
    photos: list[UploadedFile] | None = None,
    by: User | None = None,
) -> Ticket:
    """Open a work order; validates everything first, then writes it in one transaction."""
    if by is not None and by.organization_id != organization_id:
        raise PermissionDenied()
    channel = v.choice(channel, field="channel", choices=Channel.choices)
    urgency = v.choice(urgency or Urgency.NORMAL, field="urgency", choices=Urgency.choices)
    text = v.text(description, field="description", max_length=2000)
    name = v.text(reporter_name, field="reporter_name", max_length=100, required=False)
    phone = v.text(reporter_phone, field="reporter_phone", max_length=30, required=False)
    if phone:
        problem = phone_problem(phone)
        if problem:
            raise ValidationFailed("invalid", problem, field="reporter_phone")
    try:
        unit = Unit.objects.get(pk=int(unit_id), organization_id=organization_id)
    except (TypeError, ValueError, Unit.DoesNotExist):
        raise ValidationFailed("not_found", "Unknown unit.", field="unit_id") from None
    categories_ensure(organization_id)
    category = Category.objects.filter(
        organization_id=organization_id, code=category_code, is_active=True
    ).first()
    if category is None:
        raise ValidationFailed("not_found", "Unknown fault category.", field="category_code")
    equipment = None
    if equipment_id not in (None, ""):
        equipment = Equipment.objects.filter(
            pk=equipment_id, organization_id=organization_id, building_id=unit.building_id
        ).first()
        if equipment is None or (equipment.unit_id not in (None, unit.pk)):
            raise ValidationFailed("not_found", "Unknown equipment.", field="equipment_id")
    customer = None
    if access.is_tenant_user(by):
        assert by is not None
        reporter_customer_id = by.customer_id
    if reporter_customer_id is not None:
        customer = Customer.objects.filter(
            pk=reporter_customer_id, organization_id=organization_id
        ).first()
        if customer is None:
            raise ValidationFailed("not_found", "Unknown customer.", field="reporter_customer_id")
        name = name or customer.name
        phone = phone or customer.phone
    _check_intake_access(by, unit)
    checked = photo_store.photos_check(photos)
    now = clock.now()
    with transaction.atomic():
        policy = clocks.policy_for(
            organization_id=organization_id, category=category, urgency=urgency
        )
        repeat_of = (
            Ticket.objects.filter(
                organization_id=organization_id,
                unit_id=unit.pk,
                category__code__startswith=category.top_code,
                completed_at__gte=now - dt.timedelta(days=REPEAT_WINDOW_DAYS),
                status__in=[S.COMPLETED, S.VERIFIED],
            )
            .filter(category__skill=category.skill)
            .order_by("-completed_at", "-id")
            .first()
        )
        ticket = Ticket.objects.create(
            organization_id=organization_id,
            project_id=unit.project_id,
            building_id=unit.building_id,
            unit=unit,
            number=_number(organization_id, now),
            category=category,
            urgency=urgency,
            channel=channel,
            status=S.ACCEPTED,
            description=text,
            reporter_customer=customer,
            reporter_name=name,
            reporter_phone=phone,
            reporter_phone_index=blind_index(phone, purpose="phone") if phone else "",
            equipment=equipment,
            created_by=by if _is_human_staff(by) or access.is_tenant_user(by) else None,
            reported_at=now,
            repeat_of=repeat_of,
        )
        _event(
            ticket,
            before="",
            after=S.ACCEPTED,
            at=now,
            by=by,
            kind="created",
            data={"channel": channel, "repeat_of": repeat_of.number if repeat_of else None},
        )
        _save_photos(ticket, checked, stage=PhotoStage.REPORT, by=by)
        clocks.clocks_start(ticket, policy)
        audit.record(
            action="workorder.create",
            obj=ticket,
            organization=organization_id,
            actor=by if _actor_ok(by) else None,
            changes={
                "number": [None, ticket.number],
                "unit": [None, unit.pk],
                "category": [None, category.code],
                "urgency": [None, urgency],
                "channel": [None, channel],
                "repeat_of": [None, repeat_of.pk if repeat_of else None],
                "photos": [None, len(checked)],
                "reporter_name": [None, name],
                "reporter_phone": [None, phone],
            },
        )
        from anzu.maintenance import dispatching

        dispatching.auto_dispatch_on_commit(ticket)
    return ticket


# Transitions ---------------------------------------------------------------------------------


def ticket_transition(
    *,
    ticket: Ticket,
    to: str,
    by: Any,
    note: str = "",
    photos: list[UploadedFile] | None = None,
) -> Ticket:
    """Move a ticket to ``to`` when the table and the caller's role allow it."""
    from anzu.maintenance import dispatching

    to = v.choice(to, field="to", choices=S.choices)
    note = v.text(note, field="note", max_length=1000, required=False)
    if to not in TRANSITIONS.get(ticket.status, frozenset()):
        raise IllegalTransition(current=ticket.status, target=to)
    if to == S.DISPATCHING:
        return dispatching.ticket_dispatch(ticket=ticket, by=by)
    if to == S.ENGINEER_ACCEPTED:
        offer = Assignment.objects.filter(
            ticket=ticket, engineer_id=getattr(by, "pk", None), status=AssignmentStatus.OFFERED
        ).first()
        if offer is None:
            raise PermissionDenied("Only the assigned engineer can do this.")
        dispatching.assignment_accept(assignment=offer, by=by)
        return Ticket.objects.get(pk=ticket.pk)
    checked: list[photo_store.CheckedPhoto] = []
    if to in (S.ON_SITE, S.COMPLETED):
        if not (access.can(by, "workorders.work") and ticket.assigned_engineer_id == by.pk):
            raise PermissionDenied("Only the assigned engineer can do this.")
        if to == S.COMPLETED:
            checked = photo_store.photos_check(photos)
    elif to in (S.VERIFIED, S.REOPENED):
        if not (_is_reporter(ticket, by) or access.can(by, "workorders.dispatch")):
            raise PermissionDenied()
    elif to == S.CANCELLED:
        tenant_may = _is_reporter(ticket, by) and ticket.status in (S.ACCEPTED, S.DISPATCHING)
        if not (tenant_may or access.can(by, "workorders.dispatch")):
            raise PermissionDenied()
        if not note:
            raise ValidationFailed("required", "Give a reason.", field="note")
    now = clock.now()
    if to == S.REOPENED:
        policy = _policy(ticket)
        done_at = ticket.completed_at or now
        if now > done_at + dt.timedelta(days=policy.reopen_days):
            raise ValidationFailed(
                "reopen_window_passed", "The reopen window has passed.", field="to"
            )
    with transaction.atomic():
        locked = lock(ticket)
        move(locked, to, by=by, at=now, note=note)
        if checked:
            _save_photos(locked, checked, stage=PhotoStage.COMPLETION, by=by)
    return locked


def ticket_photos_add(
    *, ticket: Ticket, photos: list[UploadedFile] | None, by: Any
) -> list[TicketPhoto]:
    """Attach photos after intake: the reporter or office staff add fault photos while the work
    order is open; the engineer on the job adds completion photos while on site."""
    if ticket.status in (S.CANCELLED, S.VERIFIED):
        raise IllegalTransition(current=ticket.status, target=ticket.status)
    on_job = access.can(by, "workorders.work") and ticket.assigned_engineer_id == by.pk
    if on_job and ticket.status == S.ON_SITE:
        stage = PhotoStage.COMPLETION
    elif _is_reporter(ticket, by) or access.can(by, "workorders.intake"):
        stage = PhotoStage.REPORT
    else:
        raise PermissionDenied()
    checked = photo_store.photos_check(photos)
    if not checked:
        raise ValidationFailed("required", "This field is required.", field="photos")
    existing = TicketPhoto.objects.filter(ticket=ticket, stage=stage).count()
    if existing + len(checked) > photo_store.MAX_PHOTOS:
        raise ValidationFailed("too_many_photos", "At most 6 photos.", field="photos")
    now = clock.now()
    with transaction.atomic():
        locked = lock(ticket)
        rows = _save_photos(locked, checked, stage=stage, by=by)
        _event(
            locked,
            before=locked.status,
            after=locked.status,
            at=now,
            by=by,
            kind="photos",
            data={"stage": stage, "count": len(rows)},
        )
        audit.record(
            action="workorder.photos_add",
            obj=locked,
            organization=locked.organization_id,
            actor=by if _actor_ok(by) else None,
            changes={"photos": [existing, existing + len(rows)], "stage": [None, stage]},
        )
    return rows


def tickets_auto_verify(*, now: dt.datetime | None = None) -> list[int]:
    """Verify completed tickets whose tenant did not react in time; idempotent."""
    now = now or clock.now()
    due = list(
        Ticket.objects.filter(status=S.COMPLETED, auto_verify_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    done = []
    for pk in due:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=pk).first()
            if ticket is None or ticket.status != S.COMPLETED:
                continue
            if ticket.auto_verify_at is None or ticket.auto_verify_at > now:
                continue
            move(ticket, S.VERIFIED, by=None, at=now, note="", data={"auto": True})
            done.append(pk)
    return done


# Ratings and reviews -------------------------------------------------------------------------


def rating_submit(
    *, ticket: Ticket, score: Any, tags: Any = None, comment: str = "", by: Any
) -> Rating:
    """The reporter rates a completed ticket once; a completed ticket becomes verified; a score
    of 2 or less opens a review case."""
    if not _is_reporter(ticket, by):
        raise PermissionDenied("Only the reporter can rate this work order.")
    try:
        value = v.integer(score, field="score", minimum=1, maximum=5)
    except ValidationFailed:
        raise ValidationFailed("invalid", "Give a score from 1 to 5.", field="score") from None
    tag_list = tags or []
    if not isinstance(tag_list, list | tuple) or not all(isinstance(t, str) for t in tag_list):
        raise ValidationFailed("invalid", "Unknown rating tag.", field="tags")
    known = {code for code, _label in RATING_TAGS}
    if any(t not in known for t in tag_list):
        raise ValidationFailed("invalid_choice", "Unknown rating tag.", field="tags")
    text = v.text(comment, field="comment", max_length=1000, required=False)
    if ticket.status not in (S.COMPLETED, S.VERIFIED):
        raise ValidationFailed(
            "not_completed", "A work order can be rated only after completion.", field="score"
        )
    now = clock.now()
    with transaction.atomic():
        locked = lock(ticket)
        if Rating.objects.filter(ticket=locked).exists():
            raise Conflict(
                "already_rated", "This work order has already been rated.", field="score"
            )
        if locked.status not in (S.COMPLETED, S.VERIFIED):
            raise ValidationFailed(
                "not_completed", "A work order can be rated only after completion.", field="score"
            )
        rating = Rating.objects.create(
            ticket=locked,
            score=value,
            tags=list(dict.fromkeys(tag_list)),
            comment=text,
            customer_id=by.customer_id,
            at=now,
        )
        _event(
            locked,
            before=locked.status,
            after=locked.status,
            at=now,
            by=by,
            kind="rated",
            data={"score": value, "tags": rating.tags},
        )
        if locked.status == S.COMPLETED:
            move(locked, S.VERIFIED, by=by, at=now)
        audit.record(
            action="workorder.rate",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"score": [None, value], "tags": [None, rating.tags]},
        )
        if value <= REVIEW_THRESHOLD:
            case = ReviewCase.objects.create(
                organization_id=locked.organization_id,
                ticket=locked,
                rating=rating,
                opened_at=now,
            )
            audit.record(
                action="review_case.open",
                obj=case,
                organization=locked.organization_id,
                actor=by,
                changes={"ticket": [None, locked.pk], "score": [None, value]},
            )
    return rating


def review_case_close(*, case: ReviewCase, root_cause: str, note: str = "", by: User) -> ReviewCase:
    access.require(by, "workorders.review")
    if root_cause in (None, ""):
        raise ValidationFailed("required", "Choose a root cause.", field="root_cause")
    cause = v.choice(root_cause, field="root_cause", choices=RootCause.choices)
    text = v.text(note, field="note", max_length=2000, required=False)
    now = clock.now()
    with transaction.atomic():
        locked = ReviewCase.objects.select_for_update().get(pk=case.pk)
        if locked.status != ReviewStatus.OPEN:
            raise Conflict("already_closed", "The review case is already closed.", field="status")
        locked.status = ReviewStatus.CLOSED
        locked.root_cause = cause
        locked.note = text
        locked.closed_by = by
        locked.closed_at = now
        locked.save()
        _event(
            locked.ticket,
            before=locked.ticket.status,
            after=locked.ticket.status,
            at=now,
            by=by,
            kind="review_closed",
            data={"root_cause": cause},
        )
        audit.record(
            action="review_case.close",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"status": ["open", "closed"], "root_cause": [None, cause]},
        )
    return locked
