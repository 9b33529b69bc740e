"""PostgreSQL: concurrent sweepers claim disjoint batches (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from anzu.common.testing import OrganizationFactory
from anzu.notify import delivery, services
from anzu.notify.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgresql://…)")


def test_concurrent_sweepers_claim_disjoint_batches(monkeypatch):
    org = OrganizationFactory()
    # No on-commit delivery: the rows stay pending for the sweepers.
    monkeypatch.setattr(services, "_schedule_delivery", lambda message_id: None)
    with transaction.atomic():
        for i in range(12):
            services.outbox_enqueue(
                organization_id=org.pk,
                channel="sms",
                idempotency_key=f"k{i}",
                address="13800000001",
                body="hi",
            )
    barrier = threading.Barrier(3)
    results: list[list[int]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def sweeper() -> None:
        try:
            barrier.wait()
            claims = delivery.outbox_claim_due(limit=5)
            with lock:
                results.append([pk for pk, _token in claims])
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    claimed = [pk for batch in results for pk in batch]
    assert len(claimed) == len(set(claimed))  # nobody claimed a row twice
    assert len(claimed) == 12
    assert OutboxMessage.objects.filter(status="sending", attempts=1).count() == 12
