"""Concurrent intake gets gap-free, unique ticket numbers (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from anzu.maintenance import clocks
from anzu.maintenance.categories import DEFAULT_CATEGORIES
from anzu.maintenance.models import Category, SlaClock, SlaPolicy, Ticket
from anzu.maintenance.services import ticket_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL row locks; SQLite serializes every writer already",
    ),
]

THREADS = 8


def test_concurrent_intake_numbers_are_unique_and_consecutive(org, portfolio, dispatcher, frozen):
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def report(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            ticket_create(
                organization_id=org.pk,
                unit_id=portfolio["u1"].pk,
                category_code="water_electric.leak",
                description=f"漏水 {n}",
                channel="phone",
                by=dispatcher,
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == [f"WO-20260310-{n:04d}" for n in range(1, THREADS + 1)]
    assert SlaClock.objects.count() == 3 * THREADS
    # The first intakes of the organization created its defaults exactly once.
    assert SlaPolicy.objects.filter(organization=org).count() == len(clocks.DEFAULT_TARGETS)
    assert Category.objects.filter(organization=org).count() == len(DEFAULT_CATEGORIES)
