"""Effects that follow a committed payment.

Called by :func:`anzu.billing.services.payment_record` through ``transaction.on_commit``, so it
runs only once the payment and its allocations are durable, and never for a rolled-back one.
"""

from __future__ import annotations


def on_payment_committed(payment_id: int) -> None:
    """A payment has committed: the dunning ladder stops for what it paid.

    Enqueues the dunning re-check of the leases whose bills it paid (a task taking the payment
    id, idempotent): queued actions whose bills are now paid are skipped, open call tasks and
    freeze requests for them cancelled. The daily run computes nothing for paid bills anyway.
    """
    from anzu.billing.dunning import tasks

    tasks.payment_committed(payment_id)
