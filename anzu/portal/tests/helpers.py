from __future__ import annotations

from decimal import Decimal
from typing import Any

from anzu.billing.models import Allocation, Bill, Payment
from anzu.common.testing import PASSWORD
from anzu.core.models import AuditEvent
from anzu.portal.models import PaymentOrder
from anzu.portal.services import open_bills_in_order


def login(client: Any, user: Any) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def open_bills(lease: Any) -> list[Bill]:
    """The lease's open bills in allocation order (rent Jan, deposit, rent Feb, rent Mar)."""
    return open_bills_in_order(lease.pk)


def snapshot() -> tuple[Any, ...]:
    """Everything a payment or an order could have written."""
    return (
        Payment.objects.count(),
        Allocation.objects.count(),
        list(PaymentOrder.objects.order_by("id").values_list("status", "payment_id")),
        list(Bill.objects.order_by("id").values_list("paid_amount", "status")),
        AuditEvent.objects.count(),
    )


def yuan(text: str) -> Decimal:
    return Decimal(text)
