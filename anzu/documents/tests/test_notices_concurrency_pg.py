"""Two dunning workers issuing the same notice at once: one notice, one document (PostgreSQL)."""

from __future__ import annotations

import shutil
import threading

import pytest
from django.db import connection, connections, transaction

from anzu.documents.models import Document, NoticeIssue
from anzu.documents.notices import notice_issue

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


def test_concurrent_calls_with_one_key_issue_one_notice(overdue):
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(THREADS)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                notice = notice_issue(
                    lease=overdue["lease"],
                    kind="formal_notice",
                    bills=overdue["bills"],
                    idempotency_key="dunning:race:day3",
                    by=None,
                )
            results.append(notice.pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert errors == []
    assert len(results) == THREADS
    assert len(set(results)) == 1
    assert NoticeIssue.objects.count() == 1
    assert Document.objects.count() == 1
    assert NoticeIssue.objects.get().document_id == Document.objects.get().pk
