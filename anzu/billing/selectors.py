"""Reads of the billing app: the rent ledger of a lease, receivables and their aging."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum

from anzu.billing import access as billing_access
from anzu.billing.choices import BillStatus
from anzu.billing.models import Allocation, Bill, DepositEntry, Payment, Refund
from anzu.billing.presenters import (
    present_allocation,
    present_bill,
    present_deposit_entry,
    present_payment,
    present_refund,
)
from anzu.billing.services import deposit_balance
from anzu.common.money import CENT
from anzu.leasing.models import Lease

ZERO = Decimal("0.00")
OUTSTANDING = ExpressionWrapper(
    F("amount") - F("paid_amount"), output_field=DecimalField(max_digits=14, decimal_places=2)
)
# Aging buckets: (key, fewest days overdue, most days overdue or None).
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


def lease_ledger(user: Any, lease: Lease) -> dict[str, Any]:
    """Bills, payments, allocations, refunds, deposit ledger and balances of one lease."""
    show = billing_access.sees_amounts(user)
    bills = list(Bill.objects.filter(lease_id=lease.pk).order_by("due_date", "id"))
    payments = list(Payment.objects.filter(lease_id=lease.pk).order_by("received_at", "id"))
    allocations = list(Allocation.objects.filter(bill__lease_id=lease.pk).order_by("id"))
    deposit_entries = list(DepositEntry.objects.filter(lease_id=lease.pk).order_by("id"))
    refunds = list(Refund.objects.filter(lease_id=lease.pk).order_by("id"))
    outstanding = sum((b.outstanding for b in bills), ZERO)
    credit = sum((p.unallocated for p in payments), ZERO)
    return {
        "lease_id": lease.pk,
        "lease_code": lease.code,
        "amounts_hidden": not show,
        "bills": [present_bill(user, b, show=show) for b in bills],
        "payments": [present_payment(user, p, show=show) for p in payments],
        "allocations": [present_allocation(show, a) for a in allocations],
        "refunds": [present_refund(show, r) for r in refunds],
        "deposit_entries": [present_deposit_entry(show, e) for e in deposit_entries],
        "outstanding": outstanding if show else None,
        "credit": credit if show else None,
        "balance": (outstanding - credit) if show else None,
        "deposit_held": deposit_balance(lease.pk) if show else None,
    }


@dataclass
class ReceivableFilters:
    lease_id: int | None = None
    customer_id: int | None = None
    project_id: int | None = None
    building_id: int | None = None
    kind: str = ""
    status: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue_only: bool = False


def bill_search(user: Any, filters: ReceivableFilters, *, today: dt.date) -> QuerySet[Bill]:
    qs = billing_access.bills_for_user(user)
    for name in ("lease_id", "customer_id", "project_id", "building_id"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.due_from:
        qs = qs.filter(due_date__gte=filters.due_from)
    if filters.due_to:
        qs = qs.filter(due_date__lte=filters.due_to)
    if filters.overdue_only:
        qs = qs.filter(status=BillStatus.OPEN, due_date__lt=today)
    return qs.order_by("due_date", "id")


def aging(user: Any, *, today: dt.date, base: QuerySet[Bill] | None = None) -> dict[str, Any]:
    """Open bills' outstanding amounts by days overdue as of ``today`` (one query).

    Days overdue = today − due date; a bill due today is 0 days overdue (bucket 0–30); bills
    not yet due are reported apart as ``not_due``.
    """
    qs = base if base is not None else billing_access.bills_for_user(user)
    qs = qs.filter(status=BillStatus.OPEN)
    conditions: dict[str, Q] = {"not_due": Q(due_date__gt=today)}
    for key, low, high in AGING_BUCKETS:
        cond = Q(due_date__lte=today - dt.timedelta(days=low))
        if high is not None:
            cond &= Q(due_date__gte=today - dt.timedelta(days=high))
        conditions[key] = cond
    aggregates: dict[str, Any] = {}
    for key, cond in conditions.items():
        aggregates[f"{key}__amount"] = Sum(OUTSTANDING, filter=cond)
        aggregates[f"{key}__count"] = Count("id", filter=cond)
    row = qs.aggregate(**aggregates)
    show = billing_access.sees_amounts(user)
    buckets = []
    for key in [k for k, _lo, _hi in AGING_BUCKETS] + ["not_due"]:
        amount = (row[f"{key}__amount"] or ZERO).quantize(CENT)
        buckets.append(
            {"bucket": key, "count": row[f"{key}__count"], "amount": amount if show else None}
        )
    overdue = sum((b["amount"] or ZERO for b in buckets if b["bucket"] != "not_due"), ZERO)
    return {
        "as_of": today,
        "buckets": buckets,
        "overdue_total": overdue if show else None,
        "amounts_hidden": not show,
    }
