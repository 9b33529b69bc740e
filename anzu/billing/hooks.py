"""Effects that follow a committed payment.

Called by :func:`anzu.billing.services.payment_record` through ``transaction.on_commit``, so it
runs only once the payment and its allocations are durable, and never for a rolled-back one.
"""

from __future__ import annotations


def on_payment_committed(payment_id: int) -> None:
    """A payment has committed.

    Does nothing yet. This is where dunning re-evaluation will be called: a payment stops the
    dunning ladder for the bills it paid, so the dunning engine re-computes the stage of the
    payment's open bills here (enqueued as a task taking the payment id, idempotent).
    """
    return None
