"""Reads of the portal: a tenant's bills grouped by lease, what one payment would cover."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from anzu.billing.choices import BillStatus
from anzu.billing.models import Bill
from anzu.portal import access as portal_access
from anzu.portal.presenters import present_order, present_tenant_bill
from anzu.portal.services import bill_sort_key, open_bills_in_order

ZERO = Decimal("0.00")


def bill_overview(user: Any, *, today: dt.date) -> list[dict[str, Any]]:
    """Per lease (newest first): open bills in payment order, paid bills newest first, totals."""
    leases = list(
        portal_access.leases_for_tenant(user)
        .select_related("unit", "building")
        .order_by("-start_date", "-id")
    )
    bills_by_lease: dict[int, list[Bill]] = {lease.pk: [] for lease in leases}
    for bill in portal_access.bills_for_tenant(user).filter(lease_id__in=list(bills_by_lease)):
        bills_by_lease[bill.lease_id].append(bill)
    groups = []
    for lease in leases:
        bills = bills_by_lease[lease.pk]
        open_bills = sorted(
            (b for b in bills if b.status == BillStatus.OPEN and b.outstanding > 0),
            key=bill_sort_key,
        )
        paid = sorted(
            (b for b in bills if b.status == BillStatus.PAID),
            key=lambda b: (b.due_date, b.pk),
            reverse=True,
        )
        open_rows = [present_tenant_bill(user, b, today=today) for b in open_bills]
        groups.append(
            {
                "lease_id": lease.pk,
                "lease_code": lease.code,
                "unit_label": f"{lease.building.name} {lease.unit.code}",
                "status_label": str(lease.get_status_display()),
                "open": open_rows,
                "paid": [present_tenant_bill(user, b, today=today) for b in paid],
                "outstanding": sum((b.outstanding for b in open_bills), ZERO),
                "overdue_count": sum(1 for row in open_rows if row["overdue"]),
                "open_ids": [b.pk for b in open_bills],
            }
        )
    return groups


def payable_through(bill: Bill) -> list[Bill]:
    """The open bills of ``bill``'s lease that a payment of ``bill`` covers: it and older ones."""
    open_bills = open_bills_in_order(bill.lease_id)
    for index, candidate in enumerate(open_bills):
        if candidate.pk == bill.pk:
            return open_bills[: index + 1]
    return []


def recent_orders(
    user: Any, *, lease_id: int | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    qs = portal_access.orders_for_tenant(user)
    if lease_id is not None:
        qs = qs.filter(lease_id=lease_id)
    return [present_order(o) for o in qs.order_by("-created_at", "-id")[:limit]]
