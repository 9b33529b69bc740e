"""Reads of the maintenance app: the dispatcher board, an engineer's tasks, a tenant's tickets,
the review queue. Set-based: a few queries per page whatever the number of tickets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from anzu.maintenance import access as wo_access
from anzu.maintenance.choices import AssignmentStatus, TicketStatus
from anzu.maintenance.models import Assignment, ReviewCase, SlaClock, Ticket
from anzu.maintenance.presenters import present_ticket

BOARD_COLUMNS = [
    TicketStatus.ACCEPTED,
    TicketStatus.DISPATCHING,
    TicketStatus.ENGINEER_ACCEPTED,
    TicketStatus.ON_SITE,
    TicketStatus.COMPLETED,
    TicketStatus.REOPENED,
]


@dataclass
class TicketFilters:
    status: str = ""
    project_id: int | None = None
    building_id: int | None = None
    unit_id: int | None = None
    category: str = ""
    urgency: str = ""
    engineer_id: int | None = None
    number: str = ""


@dataclass
class BoardColumn:
    status: str
    label: str
    cards: list[dict[str, Any]] = field(default_factory=list)


def ticket_search(user: Any, filters: TicketFilters) -> QuerySet[Ticket]:
    qs = wo_access.tickets_for_user(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.project_id:
        qs = qs.filter(project_id=filters.project_id)
    if filters.building_id:
        qs = qs.filter(building_id=filters.building_id)
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.category:
        qs = qs.filter(category__code__startswith=filters.category)
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    if filters.engineer_id:
        qs = qs.filter(assigned_engineer_id=filters.engineer_id)
    if filters.number:
        qs = qs.filter(number__icontains=filters.number.strip())
    return qs.select_related(
        "category", "unit", "building", "assigned_engineer", "repeat_of"
    ).order_by("-reported_at", "-id")


def _sla_badges(ticket_ids: list[int], now: dt.datetime) -> dict[int, dict[str, Any]]:
    """Per ticket: the earliest due running clock and whether any clock is breached."""
    badges: dict[int, dict[str, Any]] = {}
    for c in SlaClock.objects.filter(ticket_id__in=ticket_ids).order_by("due_at"):
        badge = badges.setdefault(c.ticket_id, {"due_at": None, "kind": "", "breached": False})
        running_breach = c.stopped_at is None and c.due_at < now
        if c.breached or running_breach:
            badge["breached"] = True
        if c.stopped_at is None and badge["due_at"] is None:
            badge["due_at"] = c.due_at
            badge["kind"] = c.kind
            badge["warn"] = (c.due_at - now).total_seconds() < 0.2 * c.target_seconds
    return badges


def board(
    user: Any, filters: TicketFilters, *, now: dt.datetime, limit: int = 50
) -> list[BoardColumn]:
    qs = ticket_search(user, filters).annotate(
        has_offer=Exists(
            Assignment.objects.filter(ticket_id=OuterRef("pk"), status=AssignmentStatus.OFFERED)
        )
    )
    columns = []
    all_ids: list[int] = []
    per_status: dict[str, list[Any]] = {}
    for status in BOARD_COLUMNS:
        if filters.status and filters.status != status:
            continue
        rows = list(qs.filter(status=status)[:limit])
        per_status[status] = rows
        all_ids += [t.pk for t in rows]
    badges = _sla_badges(all_ids, now)
    for status in BOARD_COLUMNS:
        if status not in per_status:
            continue
        column = BoardColumn(status=status, label=str(TicketStatus(status).label))
        for t in per_status[status]:
            card = present_ticket(user, t)
            card["sla"] = badges.get(t.pk, {})
            card["has_offer"] = bool(getattr(t, "has_offer", False))
            column.cards.append(card)
        columns.append(column)
    return columns


def engineer_tasks(user: Any) -> dict[str, list[Any]]:
    """An engineer's offers waiting for an answer and the jobs they hold."""
    offers = list(
        Assignment.objects.filter(engineer_id=user.pk, status=AssignmentStatus.OFFERED)
        .select_related("ticket__category", "ticket__unit", "ticket__building")
        .order_by("created_at", "id")
    )
    active = list(
        Ticket.objects.filter(
            organization_id=user.organization_id,
            assigned_engineer_id=user.pk,
            status__in=[TicketStatus.ENGINEER_ACCEPTED, TicketStatus.ON_SITE],
        )
        .select_related("category", "unit", "building")
        .order_by("reported_at", "id")
    )
    done = list(
        Ticket.objects.filter(
            organization_id=user.organization_id,
            assigned_engineer_id=user.pk,
            status__in=[TicketStatus.COMPLETED, TicketStatus.VERIFIED],
        )
        .select_related("category", "unit", "building")
        .order_by("-completed_at", "-id")[:20]
    )
    return {"offers": offers, "active": active, "done": done}


def review_queue(user: Any, *, status: str = "open") -> QuerySet[ReviewCase]:
    qs = wo_access.review_cases_for_user(user).select_related(
        "ticket__category",
        "ticket__unit",
        "ticket__building",
        "ticket__assigned_engineer",
        "rating",
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-opened_at", "-id")
