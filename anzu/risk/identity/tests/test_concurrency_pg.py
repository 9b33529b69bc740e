"""Concurrent freezes of one account (HR webhook, SCIM, an administrator at once) freeze it once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from anzu.risk.identity import services
from anzu.risk.identity.models import AccountEvent, HrWebhookEvent
from anzu.risk.identity.tests.conftest import hr_post

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL row locks; SQLite serializes every writer already",
    ),
]

THREADS = 6


def run_together(target, count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_freezes_record_one_event(employee, admin_user):
    assert connection.vendor == "postgresql"
    sources = ["manual", "scim", "hr_webhook", "dormant", "manual", "scim"]

    def freeze(n: int) -> None:
        source = sources[n % len(sources)]
        by = admin_user if source == "manual" else None
        services.account_freeze(user=employee, reason=f"race {n}", source=source, by=by)

    assert run_together(freeze, THREADS) == []
    employee.refresh_from_db()
    assert not employee.is_active
    assert AccountEvent.objects.filter(user=employee, kind="frozen").count() == 1


def test_concurrent_replays_of_one_event_id_apply_once(employee):
    statuses: list[int] = []

    def deliver(n: int) -> None:
        statuses.append(
            hr_post(Client(), {"event_id": "evt-race", "username": "leaver"}).status_code
        )

    assert run_together(deliver, THREADS) == []
    assert sorted(statuses) == [200] + [409] * (THREADS - 1)
    assert HrWebhookEvent.objects.count() == 1
    assert AccountEvent.objects.filter(user=employee).count() == 1
