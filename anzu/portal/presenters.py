"""What a tenant sees of their bills, payment orders and notices (pages and API alike).

A tenant always sees their own amounts (see :func:`anzu.billing.access.sees_amounts`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from anzu.billing.choices import BillStatus
from anzu.billing.models import Bill
from anzu.billing.presenters import present_bill
from anzu.documents.models import Document
from anzu.portal.models import PaymentOrder


def present_tenant_bill(user: Any, bill: Bill, *, today: dt.date) -> dict[str, Any]:
    data = present_bill(user, bill)
    overdue = bill.status == BillStatus.OPEN and bill.due_date < today
    data["overdue"] = overdue
    data["days_overdue"] = (today - bill.due_date).days if overdue else 0
    return data


def present_order(order: PaymentOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "out_trade_no": order.out_trade_no,
        "lease_id": order.lease_id,
        "bill_ids": list(order.bills),
        "amount": order.amount,
        "provider": order.provider,
        "provider_label": str(order.get_provider_display()),
        "sandbox": order.provider == "sandbox",
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "checkout_kind": order.checkout_kind,
        "checkout_value": order.checkout_value,
        "provider_transaction_id": order.provider_transaction_id,
        "payment_id": order.payment_id,
        "failure_reason": order.failure_reason,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "paid_at": order.paid_at,
    }


def present_notice(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.pk,
        "kind": doc.kind,
        "kind_label": str(doc.get_kind_display()),
        "title": doc.title,
        "lease_id": int(doc.related_id),
        "signed": doc.signed,
        "created_at": doc.created_at,
        "download_url": reverse("portal:notice_download", args=[doc.pk]),
    }
