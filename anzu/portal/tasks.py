"""Background work of the portal: expiring unpaid payment orders."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from anzu.portal import services


@db_periodic_task(crontab(minute="*/10"))
def expire_payment_orders() -> int:
    """Every ten minutes: waiting orders past their expiry become expired (idempotent)."""
    return services.payment_orders_expire()
