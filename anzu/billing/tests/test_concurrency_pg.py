"""Concurrent payments on one lease end with exact balances (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from anzu.billing import services
from anzu.billing.generation import bills_generate
from anzu.billing.models import Allocation, Bill, Payment

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL row locks; SQLite serializes every writer already",
    ),
]

THREADS = 8


def test_concurrent_payments_to_one_lease(make_lease, finance, frozen):
    assert connection.vendor == "postgresql"
    lease = make_lease()
    bills_generate(through=dt.date(2026, 3, 31))
    # Deposit 3200 + rent 3 × 3200 = 12800 owed; 8 × 1700 = 13600 paid → 800 credit.
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def pay(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.payment_record(
                by=finance,
                lease_id=lease.pk,
                channel="bank_transfer",
                amount="1700.00",
                reference=f"RACE-{n}",
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    bills = list(Bill.objects.filter(lease=lease).order_by("id"))
    assert [(b.kind, b.paid_amount, b.status) for b in bills] == [
        ("deposit", Decimal("3200.00"), "paid"),
        ("rent", Decimal("3200.00"), "paid"),
        ("rent", Decimal("3200.00"), "paid"),
        ("rent", Decimal("3200.00"), "paid"),
    ]
    assert Payment.objects.filter(lease=lease).count() == THREADS
    credit = Payment.objects.filter(lease=lease).aggregate(s=Sum("unallocated"))["s"]
    assert credit == Decimal("800.00")
    for bill in bills:
        allocated = Allocation.objects.filter(bill=bill).aggregate(s=Sum("amount"))["s"]
        assert allocated == bill.paid_amount
    for payment in Payment.objects.filter(lease=lease):
        allocated = Allocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"]
        assert (allocated or Decimal("0.00")) + payment.unallocated == payment.amount


def test_concurrent_duplicate_reference_records_once(make_lease, finance, frozen):
    from anzu.common.errors import Conflict

    lease = make_lease()
    bills_generate(through=dt.date(2026, 1, 31))
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def pay() -> None:
        try:
            barrier.wait(timeout=30)
            services.payment_record(
                by=finance, lease_id=lease.pk, channel="alipay", amount="100.00", reference="ALI-1"
            )
            outcomes.append("ok")
        except Conflict as err:
            outcomes.append(err.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["duplicate_payment"] * (THREADS - 1) + ["ok"]
    assert Payment.objects.count() == 1
    assert Bill.objects.filter(lease=lease).aggregate(s=Sum("paid_amount"))["s"] == Decimal(
        "100.00"
    )
