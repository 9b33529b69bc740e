"""Background work of the maintenance app: automatic dispatch, auto-verification, SLA alerts.

Tasks take ids, reload, call a service and are idempotent.
"""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from anzu.maintenance.choices import TicketStatus


@db_task()
def ticket_auto_dispatch(ticket_id: int) -> Any:
    from anzu.maintenance.dispatching import ticket_dispatch
    from anzu.maintenance.models import Ticket

    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.status != TicketStatus.ACCEPTED:
        return None
    return ticket_dispatch(ticket=ticket, by=None).status


@db_periodic_task(crontab(minute="*/10"))
def workorders_auto_verify() -> list[int]:
    from anzu.maintenance.services import tickets_auto_verify

    return tickets_auto_verify()


@db_periodic_task(crontab(minute="*/5"))
def workorders_sla_scan() -> dict[str, int]:
    from anzu.maintenance.alerts import sla_scan

    return sla_scan()
