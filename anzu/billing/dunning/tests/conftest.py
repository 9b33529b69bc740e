from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from anzu.billing.generation import bills_generate
from anzu.common.testing import lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease


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
def cs(org: Any) -> Any:
    return make_user(org, "customer_service", username="cs")


@pytest.fixture
def billed_lease(portfolio: dict[str, Any], manager: Any, travel: Any) -> Callable[..., Lease]:
    """An active monthly lease from 2026-01-01, billed through March; rent due on the 1st."""

    def make(unit: str = "u1", **terms: Any) -> Lease:
        travel(dt.date(2026, 1, 1))
        data = lease_data(portfolio[unit], portfolio["customer"], **terms)
        lease = leasing_services.lease_create(by=manager, data=data)
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        lease = leasing_services.lease_activate(lease=lease, by=manager)
        bills_generate(through=dt.date(2026, 3, 31), today=dt.date(2026, 1, 1))
        return lease

    return make
