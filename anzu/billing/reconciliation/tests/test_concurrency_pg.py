"""Two clerks importing at the same time: one import per file, each bank line once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from anzu.billing.models import Payment
from anzu.billing.reconciliation import services
from anzu.billing.reconciliation.models import StatementImport, StatementLine

from .helpers import csv_file

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs concurrent PostgreSQL sessions; SQLite serializes every writer already",
    ),
]

THREADS = 4


def _race(finance, files: list[tuple[str, bytes]]) -> tuple[list[bool], list[BaseException]]:
    barrier = threading.Barrier(len(files))
    created: list[bool] = []
    errors: list[BaseException] = []

    def work(name: str, data: bytes) -> None:
        try:
            barrier.wait(timeout=30)
            result = services.statement_import(by=finance, file_name=name, data=data)
            created.append(result.created)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=f) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return created, errors


def test_the_same_file_at_once_is_imported_once(billed, finance):
    assert connection.vendor == "postgresql"
    data = csv_file("2026-03-10,HX1,李雷,,3200.00,L2026-000001")
    created, errors = _race(finance, [(f"clerk{n}.csv", data) for n in range(THREADS)])
    assert errors == []
    assert sorted(created) == [False] * (THREADS - 1) + [True]
    assert StatementImport.objects.count() == 1
    assert StatementLine.objects.count() == 1
    assert Payment.objects.count() == 1


def test_overlapping_files_at_once_enter_each_line_once(billed, finance):
    shared = "2026-03-10,HX1,李雷,,3200.00,L2026-000001"
    files = [
        (f"clerk{n}.csv", csv_file(shared, f"2026-03-10,OWN{n},路人{n},,{n + 1}.00,x"))
        for n in range(THREADS)
    ]
    created, errors = _race(finance, files)
    assert errors == []
    assert created == [True] * THREADS
    assert StatementLine.objects.filter(bank_reference="HX1").count() == 1
    assert StatementLine.objects.count() == THREADS + 1
    assert Payment.objects.count() == 1
    assert sum(i.duplicate_count for i in StatementImport.objects.all()) == THREADS - 1


def test_two_clerks_assign_one_line_once(billed, finance, org):
    from anzu.common.errors import Conflict
    from anzu.common.testing import make_user

    services.statement_import(
        by=finance, file_name="s.csv", data=csv_file("2026-03-10,HX7,王五,,1000.00,x")
    )
    line = StatementLine.objects.get()
    clerks = [finance] + [make_user(org, "finance", username=f"fin{n}") for n in range(THREADS - 1)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def assign(user) -> None:
        try:
            barrier.wait(timeout=30)
            services.statement_line_assign(line=line, by=user, lease_id=billed.pk)
            outcomes.append("ok")
        except Conflict as err:
            outcomes.append(err.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=assign, args=(u,)) for u in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["already_resolved"] * (THREADS - 1) + ["ok"]
    assert Payment.objects.count() == 1
    line.refresh_from_db()
    assert line.status == "resolved"
