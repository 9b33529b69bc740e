"""Concurrent writers (PostgreSQL): one open agreement per lease; a notification delivered
several times at once is applied once."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from anzu.common.errors import Conflict
from anzu.core.models import AuditEvent
from anzu.integrations.esign.sandbox import SandboxEsignAdapter
from anzu.leasing.agreements import services
from anzu.leasing.agreements.models import LeaseAgreement

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs concurrent PostgreSQL transactions; SQLite serializes every writer",
    ),
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]

THREADS = 3


def race(work: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results, errors


def test_concurrent_generation_makes_one_agreement(lease, manager):
    assert connection.vendor == "postgresql"
    results, errors = race(lambda: services.agreement_generate(lease=lease, by=manager).pk)
    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, Conflict) and e.code == "open_agreement" for e in errors)
    assert LeaseAgreement.objects.filter(lease=lease).count() == 1
    assert AuditEvent.objects.filter(action="agreement.generate").count() == 1


def test_a_notification_delivered_concurrently_is_applied_once(lease, manager, settings):
    agreement = services.agreement_generate(lease=lease, by=manager)
    agreement = services.agreement_sign_org(agreement=agreement, by=manager)
    agreement = services.agreement_send(agreement=agreement, by=manager)
    adapter = SandboxEsignAdapter(settings.ESIGN)
    adapter.simulate(agreement.flow_id, accept=False)
    headers, body = adapter.notification(agreement.flow_id, state="declined")
    results, errors = race(
        lambda: (
            services.agreement_callback(provider_name="sandbox", headers=headers, body=body).status
        )
    )
    assert errors == []
    assert results == ["declined"] * THREADS
    fresh = LeaseAgreement.objects.get(pk=agreement.pk)
    assert [e["kind"] for e in fresh.events].count("provider") == 1
    assert AuditEvent.objects.filter(action="agreement.provider_event").count() == 1
