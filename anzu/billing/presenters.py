"""What a user may see of bills and payments: the one place where amounts are hidden.

The API and the pages both render these dictionaries. Amounts are ``None`` for roles without
``amounts.view`` (a tenant sees their own amounts).
"""

from __future__ import annotations

from typing import Any

from anzu.billing.access import sees_amounts
from anzu.billing.models import Allocation, Bill, DepositEntry, Payment, Refund


def _money(show: bool, value: Any) -> Any:
    return value if show else None


def present_bill(user: Any, bill: Bill, *, show: bool | None = None) -> dict[str, Any]:
    show = sees_amounts(user) if show is None else show
    return {
        "id": bill.pk,
        "lease_id": bill.lease_id,
        "customer_id": bill.customer_id,
        "project_id": bill.project_id,
        "building_id": bill.building_id,
        "unit_id": bill.unit_id,
        "kind": bill.kind,
        "kind_label": str(bill.get_kind_display()),
        "period_start": bill.period_start,
        "period_end": bill.period_end,
        "due_date": bill.due_date,
        "status": bill.status,
        "status_label": str(bill.get_status_display()),
        "description": bill.description,
        "source_bill_id": bill.source_bill_id,
        "amount": _money(show, bill.amount),
        "paid_amount": _money(show, bill.paid_amount),
        "outstanding": _money(show, bill.outstanding),
        "amounts_hidden": not show,
    }


def present_payment(user: Any, payment: Payment, *, show: bool | None = None) -> dict[str, Any]:
    show = sees_amounts(user) if show is None else show
    return {
        "id": payment.pk,
        "customer_id": payment.customer_id,
        "lease_id": payment.lease_id,
        "channel": payment.channel,
        "channel_label": str(payment.get_channel_display()),
        "received_at": payment.received_at,
        "reference": payment.reference,
        "payer_name": payment.payer_name,
        "note": payment.note,
        "amount": _money(show, payment.amount),
        "unallocated": _money(show, payment.unallocated),
        "amounts_hidden": not show,
    }


def present_allocation(show: bool, allocation: Allocation) -> dict[str, Any]:
    return {
        "id": allocation.pk,
        "payment_id": allocation.payment_id,
        "bill_id": allocation.bill_id,
        "amount": _money(show, allocation.amount),
    }


def present_deposit_entry(show: bool, entry: DepositEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "kind_label": str(entry.get_kind_display()),
        "amount": _money(show, entry.amount),
        "bill_id": entry.bill_id,
        "payment_id": entry.payment_id,
        "refund_id": entry.refund_id,
        "created_at": entry.created_at,
    }


def present_refund(show: bool, refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.pk,
        "kind": refund.kind,
        "kind_label": str(refund.get_kind_display()),
        "payment_id": refund.payment_id,
        "amount": _money(show, refund.amount),
        "channel": refund.channel,
        "reference": refund.reference,
        "reason": refund.reason,
        "created_at": refund.created_at,
    }
