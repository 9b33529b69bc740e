"""The guards re-checked by the worker right before an action executes.

The run decided on its own snapshot; by the time a worker picks the action up, the tenant may
have paid, promised, been paused or exempted, or the lease voided. :func:`reason_to_skip` reads
the current state (inside the worker's transaction, after the action row is locked) and says
why the action must not run, or ``None``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F, Sum

from anzu.billing.choices import BillStatus
from anzu.billing.dunning.models import DunningAction, DunningPause, PaymentPromise
from anzu.billing.dunning.policies import compiled
from anzu.billing.dunning.run import DUNNED_LEASE_STATUSES
from anzu.billing.models import Bill
from anzu.leasing.models import Customer, Lease

ZERO = Decimal("0.00")


def outstanding_of(bill_ids: list[int]) -> Decimal:
    total = Bill.objects.filter(pk__in=bill_ids, status=BillStatus.OPEN).aggregate(
        s=Sum(F("amount") - F("paid_amount"))
    )["s"]
    return total or ZERO


def lease_blocked(lease_id: int, today: dt.date) -> str | None:
    if DunningPause.objects.filter(
        lease_id=lease_id, start__lte=today, end__gte=today, cancelled_at__isnull=True
    ).exists():
        return "paused"
    if PaymentPromise.objects.filter(
        lease_id=lease_id, made_on__lte=today, promised_date__gte=today, cancelled_at__isnull=True
    ).exists():
        return "promised"
    return None


def reason_to_skip(action: DunningAction, *, today: dt.date) -> str | None:
    """Why ``action`` must not execute now (``None``: it may)."""
    lease = Lease.objects.get(pk=action.lease_id)
    if lease.status not in DUNNED_LEASE_STATUSES:
        return f"lease_{lease.status}"
    amount = outstanding_of(action.bill_ids)
    if amount <= 0:
        return "paid"
    blocked = lease_blocked(lease.pk, today)
    if blocked:
        return blocked
    customer = Customer.objects.get(pk=lease.customer_id)
    tags = frozenset(customer.tags or ())
    policy = compiled(action.policy_version)
    if tags & policy.exempt_tags:
        return "exempt"
    stage = policy.by_code.get(action.stage_code)
    if stage is not None and not stage.applies(
        amount=amount, tags=tags, flags={"allows_access_freeze": lease.allows_access_freeze}
    ):
        return "conditions_no_longer_hold"
    if action.kind == "freeze" and not lease.allows_access_freeze:
        return "lease_forbids_freeze"
    return None
