"""Providers retry: the same notification delivered concurrently records one payment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from anzu.billing.models import Payment
from anzu.integrations.payments.config import PaymentConfig
from anzu.integrations.payments.sandbox import SandboxPaymentProvider
from anzu.portal import services
from anzu.portal.tests.conftest import SANDBOX_KEY
from anzu.portal.tests.helpers import open_bills

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL row locks; SQLite serializes every writer already",
    ),
]

THREADS = 6


def test_concurrent_duplicate_notifications_record_one_payment(world):
    assert connection.vendor == "postgresql"
    rent_jan = open_bills(world["lease"])[0]
    order = services.payment_order_create(
        by=world["tenant"], bill_ids=[rent_jan.pk], amount="3200.00"
    )
    headers, body = SandboxPaymentProvider(PaymentConfig(sandbox_key=SANDBOX_KEY)).simulate(
        order, succeed=True
    )
    barrier = threading.Barrier(THREADS)
    statuses: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            settled = services.payment_callback(provider_name="sandbox", headers=headers, body=body)
            statuses.append(settled.status)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert statuses == ["paid"] * THREADS
    assert Payment.objects.filter(lease=world["lease"]).count() == 1
    order.refresh_from_db()
    assert order.status == "paid"
