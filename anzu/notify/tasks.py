"""Huey tasks of the notify app. Each takes ids, reloads, and is safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from anzu.notify import delivery


@db_task()
def deliver_message(message_id: int) -> str:
    """Deliver one message right after the transaction that enqueued it committed."""
    return delivery.outbox_deliver(message_id=message_id)


@db_task()
def deliver_claimed_message(message_id: int, token: str) -> str:
    """Deliver a message the sweeper claimed for this worker."""
    return delivery.deliver_claimed(message_id=message_id, token=token)


def sweep() -> int:
    """Claim due, failed and abandoned messages and hand each to a worker."""
    claims = delivery.outbox_claim_due()
    for message_id, token in claims:
        deliver_claimed_message(message_id, token)
    return len(claims)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Every minute: retries, crash recovery, and anything the on-commit hook missed."""
    return sweep()
