"""What a user may see of a work order: the one place where personal data is masked and
internal details (dispatch reasons, SLA clocks, internal notes) are kept from tenants.

The API and the pages both render these dictionaries.
"""

from __future__ import annotations

from typing import Any

from anzu.common import clock
from anzu.common.crypto import mask_phone
from anzu.core import access
from anzu.core.models import User
from anzu.maintenance.choices import (
    AssignmentMethod,
    AssignmentStatus,
    ClockKind,
    TicketStatus,
    Urgency,
)
from anzu.maintenance.models import (
    Assignment,
    BusinessCalendar,
    SlaClock,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TicketPhoto,
)

STATUS_LABELS = dict(TicketStatus.choices)
# Timeline entries a tenant sees (status changes and their own rating).
TENANT_EVENT_KINDS = frozenset({"created", "transition", "rated"})


def _label(value: str) -> str:
    return str(STATUS_LABELS.get(value, value)) if value else ""


def sees_contact(user: Any, ticket: Ticket) -> bool:
    """Full reporter name and phone: PII roles, the reporter, the engineer on the job."""
    if access.sees_pii(user):
        return True
    if access.is_tenant_user(user):
        return bool(user.customer_id == ticket.reporter_customer_id)
    return bool(ticket.assigned_engineer_id and ticket.assigned_engineer_id == user.pk)


def _mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def present_ticket(user: Any, ticket: Ticket) -> dict[str, Any]:
    show = sees_contact(user, ticket)
    engineer = ticket.assigned_engineer if ticket.assigned_engineer_id else None
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "status": ticket.status,
        "status_label": _label(ticket.status),
        "urgency": ticket.urgency,
        "urgency_label": str(ticket.get_urgency_display()),
        "channel": ticket.channel,
        "channel_label": str(ticket.get_channel_display()),
        "category_code": ticket.category.code,
        "category_name": ticket.category.name,
        "project_id": ticket.project_id,
        "building_id": ticket.building_id,
        "unit_id": ticket.unit_id,
        "unit_label": f"{ticket.building.name} {ticket.unit.code}",
        "description": ticket.description,
        "reporter_name": ticket.reporter_name if show else _mask_name(ticket.reporter_name),
        "reporter_phone": ticket.reporter_phone if show else mask_phone(ticket.reporter_phone),
        "assigned_engineer_id": ticket.assigned_engineer_id,
        "assigned_engineer_name": engineer.label if engineer is not None else None,
        "reported_at": ticket.reported_at,
        "first_response_at": ticket.first_response_at,
        "on_site_at": ticket.on_site_at,
        "completed_at": ticket.completed_at,
        "verified_at": ticket.verified_at,
        "auto_verify_at": ticket.auto_verify_at,
        "repeat_of_id": ticket.repeat_of_id,
        "repeat_of_number": ticket.repeat_of.number if ticket.repeat_of is not None else None,
        "version": ticket.version,
    }


def present_event(event: TicketEvent, *, tenant: bool) -> dict[str, Any]:
    actor = event.actor
    return {
        "id": event.pk,
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "to_status_label": _label(event.to_status),
        "at": event.at,
        "actor": None if actor is None else (actor.label if not tenant else _role_word(actor)),
        "note": "" if tenant and event.kind != "transition" else event.note,
        "data": {} if tenant else event.data,
    }


def _role_word(actor: User) -> str:
    return "租客" if actor.kind == "tenant" else "服务人员"


def present_photo(photo: TicketPhoto) -> dict[str, Any]:
    return {
        "id": photo.pk,
        "stage": photo.stage,
        "content_type": photo.content_type,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "sha256": photo.sha256,
    }


def present_assignment(assignment: Assignment, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "engineer_id": assignment.engineer_id,
        "engineer_name": names.get(assignment.engineer_id, str(assignment.engineer_id)),
        "method": assignment.method,
        "method_label": str(AssignmentMethod(assignment.method).label),
        "status": assignment.status,
        "status_label": str(AssignmentStatus(assignment.status).label),
        "by": names.get(assignment.by_id) if assignment.by_id else None,
        "created_at": assignment.created_at,
        "decided_at": assignment.decided_at,
        "reason": assignment.reason,
        "candidates": [
            {**c, "engineer_name": names.get(c.get("engineer_id"), str(c.get("engineer_id")))}
            for c in assignment.candidates or []
        ],
    }


def present_clock(sla_clock: SlaClock, *, now: Any = None) -> dict[str, Any]:
    from anzu.maintenance.clocks import elapsed_seconds

    now = now or clock.now()
    used = elapsed_seconds(sla_clock, now=now)
    return {
        "kind": sla_clock.kind,
        "kind_label": str(ClockKind(sla_clock.kind).label),
        "target_seconds": sla_clock.target_seconds,
        "elapsed_seconds": used,
        "started_at": sla_clock.started_at,
        "stopped_at": sla_clock.stopped_at,
        "due_at": sla_clock.due_at,
        "breached": sla_clock.breached or used > sla_clock.target_seconds,
        "warned": sla_clock.warned,
        "running": sla_clock.stopped_at is None,
        "policy_version": sla_clock.policy_version,
        "paused_segments": sla_clock.paused_segments,
    }


def present_ticket_detail(user: Any, ticket: Ticket) -> dict[str, Any]:
    tenant = access.is_tenant_user(user)
    data = present_ticket(user, ticket)
    events = ticket.events.select_related("actor").order_by("at", "id")
    data["timeline"] = [
        present_event(e, tenant=tenant)
        for e in events
        if not tenant
        or (
            e.kind in TENANT_EVENT_KINDS
            and (e.kind != "transition" or e.from_status != e.to_status)
        )
    ]
    data["photos"] = [present_photo(p) for p in ticket.photos.order_by("stage", "id")]
    rating = getattr(ticket, "rating", None)
    data["rating"] = (
        {"score": rating.score, "tags": rating.tags, "comment": rating.comment, "at": rating.at}
        if rating is not None
        else None
    )
    if tenant:
        data["assignments"] = []
        data["clocks"] = []
        return data
    assignments = list(ticket.assignments.order_by("created_at", "id"))
    ids = {a.engineer_id for a in assignments} | {a.by_id for a in assignments if a.by_id}
    for a in assignments:
        ids |= {c.get("engineer_id") for c in a.candidates or []}
    names = {u.pk: u.label for u in User.objects.filter(pk__in=[i for i in ids if i])}
    data["assignments"] = [present_assignment(a, names) for a in assignments]
    now = clock.now()
    data["clocks"] = [
        present_clock(c, now=now)
        for c in ticket.clocks.select_related("policy__calendar").order_by("kind")
    ]
    return data


def present_sla_policy(policy: SlaPolicy) -> dict[str, Any]:
    """An SLA policy: category (code; None = any) × urgency ("" = any), targets, calendar."""
    category = policy.category
    return {
        "id": policy.pk,
        "category": category.code if category else None,
        "category_name": category.name if category else None,
        "urgency": policy.urgency,
        "urgency_label": str(dict(Urgency.choices).get(policy.urgency, "")) or None,
        "first_response_minutes": policy.first_response_minutes,
        "on_site_minutes": policy.on_site_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "auto_verify_hours": policy.auto_verify_hours,
        "reopen_days": policy.reopen_days,
        "calendar_id": policy.calendar_id,
        "calendar_name": policy.calendar.name,
        "pause_states": list(policy.pause_states or []),
        "version": policy.version,
        "is_active": policy.is_active,
    }


def present_calendar(calendar: BusinessCalendar) -> dict[str, Any]:
    """A business calendar; windows as ``{"0": ["09:00-12:00", ...]}`` (0 = Monday)."""
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "tz": calendar.tz,
        "always": calendar.always,
        "windows": {
            day: [f"{start}-{end}" for start, end in spans]
            for day, spans in sorted((calendar.windows or {}).items(), key=lambda i: int(i[0]))
        },
        "holidays": list(calendar.holidays or []),
        "workdays": list(calendar.workdays or []),
    }
