from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from anzu.common.testing import lease_data, make_user
from anzu.core.choices import Role
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals.testing import approve_as

ALL_ROLES = tuple(r.value for r in Role)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def frozen() -> Iterator[Any]:
    """Business date 2026-03-10 (Asia/Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def boss(org: Any) -> Any:
    """The most privileged account there is: every role, superuser and staff flags."""
    return make_user(org, *ALL_ROLES, username="boss", is_superuser=True, is_staff=True)


@pytest.fixture
def second(org: Any) -> Any:
    """Another fully privileged person: the checker."""
    return make_user(org, *ALL_ROLES, username="second", is_superuser=True, is_staff=True)


@pytest.fixture
def clerk(org: Any) -> Any:
    return make_user(org, "management", username="clerk")


@pytest.fixture
def active_lease(portfolio: dict[str, Any], clerk: Any) -> Any:
    def make(unit: str = "u1", **terms: Any) -> Lease:
        data = lease_data(portfolio[unit], portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=clerk, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=clerk)
        return approve_as(leasing_services.lease_activate(lease=lease, by=clerk))

    return make
