from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from anzu.billing.generation import bills_generate
from anzu.common.testing import PASSWORD, lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals.testing import approve_as


@pytest.fixture
def travel() -> Iterator[Callable[[dt.date], None]]:
    """Move the business date: travel(date) puts the clock at 10:00 Shanghai that day."""
    traveller = time_machine.travel(dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC), tick=False)
    t = traveller.start()

    def go(day: dt.date) -> None:
        t.move_to(dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC))

    yield go
    traveller.stop()


@pytest.fixture
def billed_lease(portfolio: dict[str, Any], manager: Any, travel: Any) -> Callable[..., Lease]:
    """An active monthly lease from 2026-01-01, billed through March; rent due on the 1st."""

    def make(unit: str = "u1", **terms: Any) -> Lease:
        travel(dt.date(2026, 1, 1))
        data = lease_data(portfolio[unit], portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        lease = approve_as(leasing_services.lease_activate(lease=lease, by=manager))
        bills_generate(through=dt.date(2026, 3, 31), today=dt.date(2026, 1, 1))
        return lease

    return make


@pytest.fixture
def finance(org: Any) -> Any:
    return make_user(org, "finance", username="finance")


@pytest.fixture
def cs(org: Any) -> Any:
    return make_user(org, "customer_service", username="cs")


@pytest.fixture
def frozen() -> Any:
    """Business date 2026-03-10 (Asia/Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def make_lease(portfolio: dict[str, Any], manager: Any) -> Callable[..., Lease]:
    """An active lease of unit u1 (or ``unit``) with the given terms."""

    def make(unit: str = "u1", customer: Any = None, **terms: Any) -> Lease:
        data = lease_data(portfolio[unit], customer or portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        return approve_as(leasing_services.lease_activate(lease=lease, by=manager))

    return make


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def march2() -> Any:
    """Business date 2026-03-02 (Asia/Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def scenario(org: Any, portfolio: dict[str, Any], make_lease: Any, march2: Any) -> dict[str, Any]:
    """Two leases billed and run through the ladder on 2026-03-02.

    Lease a (u1, 李雷) starts 2026-03-01: deposit + rent due 03-01 → case at D+1.
    Lease b (u3, 韩梅梅) starts 2026-02-01: deposit + rent due 02-01 → D+3; rent due 03-01 → D+1.
    """
    from anzu.billing.dunning.run import dunning_run
    from anzu.common.testing import CustomerFactory

    other = CustomerFactory(organization=org, name="韩梅梅", project=portfolio["p2"])
    a = make_lease(start_date="2026-03-01", allows_access_freeze=True)
    b = make_lease(unit="u3", customer=other, start_date="2026-02-01")
    bills_generate(through=dt.date(2026, 3, 31))
    summary = dunning_run(on=dt.date(2026, 3, 2), organization_id=org.pk)
    return {"a": a, "b": b, "other": other, "summary": summary}
