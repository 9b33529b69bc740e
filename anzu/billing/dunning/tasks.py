"""Dunning work in Huey: the daily run, action execution, re-checks after payments."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from anzu.billing.dunning import executor
from anzu.billing.dunning.run import dunning_run
from anzu.common import clock


@db_periodic_task(crontab(hour="1", minute="0"))
@lock_task("dunning-daily-run")
def daily_run() -> dict[str, Any]:
    """Daily after bill generation (00:30): today's transitions and actions. Idempotent."""
    return dunning_run(on=clock.today())


@db_task()
@lock_task("dunning-execute")
def execute_actions() -> dict[str, int]:
    """Execute pending actions (and failed ones past their backoff)."""
    return executor.execute_pending()


@db_periodic_task(crontab(minute="*/5"))
def execute_actions_sweep() -> dict[str, int]:
    """Every five minutes: whatever an enqueue missed, and retries."""
    return executor.execute_pending()


@db_task()
def recheck_lease(lease_id: int) -> int:
    """Skip the lease's queued actions that no longer hold (after a payment, promise, pause)."""
    return executor.actions_recheck_for_lease(lease_id=lease_id)


@db_task()
def payment_committed(payment_id: int) -> int:
    """A payment committed: re-check every lease it paid bills of."""
    from anzu.billing.models import Allocation, Payment

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return 0
    lease_ids = set(
        Allocation.objects.filter(payment_id=payment_id).values_list("bill__lease_id", flat=True)
    )
    if payment.lease_id:
        lease_ids.add(payment.lease_id)
    return sum(executor.actions_recheck_for_lease(lease_id=lid) for lid in sorted(lease_ids))
