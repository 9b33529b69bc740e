"""Concurrent opens of one lease's settlement end with one case (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from anzu.billing.settlement import services
from anzu.billing.settlement.models import SettlementCase

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs concurrent PostgreSQL writers; SQLite serializes every writer already",
    ),
]

THREADS = 6


def test_concurrent_opens_make_one_case(billed, finance):
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(THREADS)
    opened: list[int] = []
    errors: list[BaseException] = []

    def open_case(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            by = None if n % 2 else finance
            source = "dunning" if by is None else "manual"
            case = services.settlement_open(lease=billed, by=by, source=source)
            opened.append(case.pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_case, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    case = SettlementCase.objects.get(lease=billed)
    assert opened == [case.pk] * THREADS
