from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

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
    """An active lease of unit u1 (or ``unit``) with the given terms."""

    def make(unit: str = "u1", **terms: Any) -> Lease:
        data = lease_data(portfolio[unit], portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        return approve_as(leasing_services.lease_activate(lease=lease, by=manager))

    return make
