from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from anzu.billing.generation import bills_generate
from anzu.common.testing import lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals.testing import approve_as


@pytest.fixture
def finance(org: Any) -> Any:
    return make_user(org, "finance", username="finance")


@pytest.fixture
def frozen() -> Any:
    """Business date 2026-03-10 (Asia/Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def make_lease(portfolio: dict[str, Any], manager: Any) -> Callable[..., Lease]:
    """An active lease of unit u1 (or ``unit``) for the portfolio's customer (or ``customer``)."""

    def make(unit: str = "u1", customer: Any = None, **terms: Any) -> Lease:
        data = lease_data(portfolio[unit], customer or portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        return approve_as(leasing_services.lease_activate(lease=lease, by=manager))

    return make


@pytest.fixture
def billed(make_lease: Callable[..., Lease], frozen: Any) -> Lease:
    """Lease L2026-000001 of 李雷: deposit 3200 (due 01-01), rent 3200 for Jan, Feb, Mar."""
    lease = make_lease()
    bills_generate(through=dt.date(2026, 3, 31))
    return lease


@pytest.fixture
def english() -> Any:
    """Messages in English (the default language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield
