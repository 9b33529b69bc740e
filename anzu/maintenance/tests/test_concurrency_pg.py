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


def test_concurrent_policy_creation_keeps_one_per_category_and_urgency(org, admin_user):
    from anzu.common.errors import ValidationFailed

    calendar = clocks.sla_ensure_default(org.pk).calendar
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            clocks.sla_policy_create(
                organization_id=org.pk,
                by=admin_user,
                category="lock.smart_lock",
                urgency="urgent",
                first_response_minutes=10 + n,
                on_site_minutes=120,
                resolution_minutes=480,
                calendar_id=calendar.pk,
            )
            outcomes.append("created")
        except ValidationFailed as exc:
            outcomes.append(f"{exc.field}:{exc.code}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(outcomes) == ["created"] + ["urgency:duplicate_policy"] * (THREADS - 1)
    assert SlaPolicy.objects.filter(category__code="lock.smart_lock", urgency="urgent").count() == 1
