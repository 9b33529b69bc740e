from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine

from anzu.common.testing import lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.maintenance import services as ticket_services
from anzu.maintenance.knowledge import services
from anzu.risk.approvals.testing import approve_as


@pytest.fixture(autouse=True)
def _builtin_articles(db: Any) -> None:
    # Transactional tests elsewhere flush the tables the data migration filled.
    services.articles_ensure_builtin()


@pytest.fixture
def frozen() -> Any:
    """2026-03-10 18:00 Asia/Shanghai."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def cs(org: Any) -> Any:
    return make_user(org, "customer_service", username="cs")


@pytest.fixture
def make_lease(portfolio: dict[str, Any], manager: Any) -> Callable[..., Lease]:
    def make(unit: str = "u1", customer: Any = None, **terms: Any) -> Lease:
        data = lease_data(portfolio[unit], customer or portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        return approve_as(leasing_services.lease_activate(lease=lease, by=manager))

    return make


@dataclass
class FakeTicket:
    pk: int
    number: str


@dataclass
class TicketStub:
    """Stands in for Core's ``ticket_create`` and records its calls."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> FakeTicket:
        self.calls.append(kwargs)
        n = len(self.calls)
        return FakeTicket(pk=1000 + n, number=f"WO-20260310-{n:04d}")


@pytest.fixture
def ticket_stub(monkeypatch: pytest.MonkeyPatch) -> TicketStub:
    stub = TicketStub()
    monkeypatch.setattr(ticket_services, "ticket_create", stub)
    return stub
