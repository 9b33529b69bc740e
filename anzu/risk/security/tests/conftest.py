from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from anzu.common.testing import PASSWORD, lease_data, make_user
from anzu.leasing import services as leasing
from anzu.leasing.models import Lease
from anzu.risk.approvals.testing import approve_as

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    """A moment in Shanghai time."""
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture(autouse=True)
def _clean_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def maker(org: Any) -> Any:
    return make_user(org, "management", username="wang")


@pytest.fixture
def checker(org: Any) -> Any:
    return make_user(org, "admin", username="zhou")


@pytest.fixture
def auditor(org: Any) -> Any:
    return make_user(org, "management", username="auditor")


def approved_lease(unit: Any, customer: Any, *, by: Any, checker: Any, at: dt.datetime) -> Lease:
    """A lease created through its approval at ``at`` (the maker asks, the checker approves)."""
    with time_machine.travel(at, tick=False):
        lease = approve_as(leasing.lease_create(by=by, data=lease_data(unit, customer)), checker)
    assert isinstance(lease, Lease)
    return lease


def direct_lease(unit: Any, customer: Any, *, by: Any, at: dt.datetime, code: str) -> Lease:
    """A lease row written without any approval (a rule switched off, an import, a bypass)."""
    with time_machine.travel(at, tick=False):
        return Lease.objects.create(
            organization=unit.organization,
            project=unit.building.project,
            building=unit.building,
            unit=unit,
            customer=customer,
            code=code,
            status="draft",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            occupied_until=dt.date(2026, 12, 31),
            monthly_rent=Decimal("3200.00"),
            deposit=Decimal("3200.00"),
            created_by=by,
        )


def english(client: Client) -> Client:
    """Switch the client's language to English (the language cookie)."""
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client
