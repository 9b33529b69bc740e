"""Two people archiving the same file at once: one contract, the other a 409 (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from anzu.common.errors import Conflict
from anzu.contracts import services
from anzu.contracts.models import Contract
from anzu.contracts.tests.conftest import LEASE_TEXT
from anzu.documents.models import Document

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs concurrent PostgreSQL transactions; SQLite serializes every writer",
    ),
]

THREADS = 3


def test_concurrent_uploads_of_one_file_archive_it_once(
    manager: Any, home: Any, fake_engine: Any
) -> None:
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(THREADS)
    created: list[int] = []
    conflicts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            contract = services.contract_upload(
                by=manager, file_bytes=LEASE_TEXT.encode(), filename="lease.txt", enqueue=False
            )
            created.append(contract.pk)
        except Conflict as conflict:
            conflicts.append(conflict.extra["contract_id"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(created) == 1
    assert conflicts == created * (THREADS - 1)
    assert Contract.objects.count() == 1
    assert Document.objects.count() == 1
