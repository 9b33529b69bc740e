"""Two checkers approve one request at the same moment: it executes exactly once (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections  # noqa: F401 - ``connection`` for skipif

from anzu.common.errors import DomainError
from anzu.common.testing import lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals import services
from anzu.risk.approvals.models import ApprovalDecision, ApprovalRequest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL row locks; SQLite serializes every writer already",
    ),
]


def test_two_checkers_at_once_execute_the_command_once(portfolio: Any, org: Any) -> None:
    maker = make_user(org, "management", username="maker")
    checkers = [make_user(org, "admin", username=f"checker{i}") for i in range(2)]
    request = leasing_services.lease_create(
        by=maker, data=lease_data(portfolio["u1"], portfolio["customer"])
    )
    assert isinstance(request, ApprovalRequest)
    barrier = threading.Barrier(len(checkers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(checker: Any) -> None:
        try:
            barrier.wait(timeout=30)
            done = services.request_approve(request=request, by=checker)
            result = done.status
        except DomainError as err:
            result = err.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(c,)) for c in checkers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["executed", "not_pending"]
    assert Lease.objects.filter(unit=portfolio["u1"]).count() == 1
    assert ApprovalDecision.objects.filter(request=request).count() == 1
    assert ApprovalRequest.objects.get(pk=request.pk).status == "executed"
