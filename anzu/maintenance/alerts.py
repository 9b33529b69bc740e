"""SLA warnings (80% of a target used) and breaches, sent through the notification outbox.

Each clock warns once and breaches once: the flags on the clock and the outbox idempotency keys
(``workorder-sla-warn:<clock>:<user>``, ``workorder-sla-breach:<clock>:<user>``) make a second
run a no-op. Recipients: the dispatchers whose scope covers the ticket (admin, management,
customer service) and the assigned engineer, in-app.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from anzu.common import clock
from anzu.core.choices import Role, UserKind
from anzu.core.models import User
from anzu.maintenance import clocks
from anzu.maintenance.choices import OPEN_STATUSES, ClockKind
from anzu.maintenance.models import SlaClock, Ticket
from anzu.maintenance.services import literal

DISPATCHER_ROLES = (Role.ADMIN, Role.MANAGEMENT, Role.CUSTOMER_SERVICE)


def dispatcher_ids(ticket: Ticket) -> list[int]:
    qs = (
        User.objects.filter(
            organization_id=ticket.organization_id,
            kind=UserKind.STAFF,
            is_active=True,
            role_grants__role__in=DISPATCHER_ROLES,
        )
        .filter(
            Q(scope_all=True)
            | Q(scopes__project_id=ticket.project_id)
            | Q(scopes__building_id=ticket.building_id)
        )
        .distinct()
        .order_by("id")
    )
    return list(qs.values_list("id", flat=True))


def _send(sla_clock: SlaClock, *, kind: str) -> int:
    from anzu.notify.services import outbox_enqueue

    ticket = sla_clock.ticket
    recipients = dispatcher_ids(ticket)
    if ticket.assigned_engineer_id and ticket.assigned_engineer_id not in recipients:
        recipients.append(ticket.assigned_engineer_id)
    label = str(ClockKind(sla_clock.kind).label)
    due = clock.local(sla_clock.due_at).strftime("%Y-%m-%d %H:%M")
    if kind == "warn":
        subject = f"工单 {ticket.number} {label}即将超时"
    else:
        subject = f"工单 {ticket.number} {label}已超时"
    body = f"工单 {ticket.number}（{ticket.unit}）{label}截止 {due}。"
    for user_id in recipients:
        outbox_enqueue(
            organization_id=ticket.organization_id,
            channel="in_app",
            user_id=user_id,
            idempotency_key=f"workorder-sla-{kind}:{sla_clock.pk}:{user_id}",
            subject=literal(subject),
            body=literal(body),
            payload={"ticket_code": ticket.number},
        )
    return len(recipients)


def sla_scan(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn at 80% of a running clock's target and flag breaches; idempotent."""
    now = now or clock.now()
    counts = {"warned": 0, "breached": 0}
    running = list(
        SlaClock.objects.filter(
            stopped_at__isnull=True, ticket__status__in=OPEN_STATUSES, breached=False
        ).values_list("pk", flat=True)
    )
    for pk in running:
        with transaction.atomic():
            sla_clock = (
                SlaClock.objects.select_for_update()
                .select_related("policy__calendar", "ticket__unit__building")
                .filter(pk=pk, stopped_at__isnull=True, breached=False)
                .first()
            )
            if sla_clock is None:
                continue
            used = clocks.elapsed_seconds(sla_clock, now=now)
            if used > sla_clock.target_seconds:
                sla_clock.breached = True
                sla_clock.warned = True
                sla_clock.save(update_fields=["breached", "warned"])
                _send(sla_clock, kind="breach")
                counts["breached"] += 1
            elif not sla_clock.warned and used >= clocks.WARN_RATIO * sla_clock.target_seconds:
                sla_clock.warned = True
                sla_clock.save(update_fields=["warned"])
                _send(sla_clock, kind="warn")
                counts["warned"] += 1
    return counts
