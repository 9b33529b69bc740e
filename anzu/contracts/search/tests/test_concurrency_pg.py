"""PostgreSQL: concurrent renewal writes are serialised on the contract row."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from anzu.common.testing import OrganizationFactory, make_user
from anzu.contracts.search import services
from anzu.contracts.search.models import ContractRenewal
from anzu.contracts.search.tests.conftest import make_contract
from anzu.core.models import AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgresql://…)")


def test_concurrent_marks_lose_no_update() -> None:
    org = OrganizationFactory()
    contract = make_contract(org)
    users = [make_user(org, "management", username=f"m{i}") for i in range(4)]
    barrier = threading.Barrier(len(users))
    failures: list[BaseException] = []

    def mark(user: Any, state: str) -> None:
        try:
            barrier.wait()
            services.renewal_mark(contract=contract, state=state, note=user.username, by=user)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    states = ["to_contact", "negotiating", "renewing", "not_renewing"]
    threads = [
        threading.Thread(target=mark, args=(u, s)) for u, s in zip(users, states, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    renewal = ContractRenewal.objects.get(contract=contract)
    assert renewal.version == 4  # one row, every write counted
    assert AuditEvent.objects.filter(action="contract.renewal_mark").count() == 4
