from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from anzu.common.testing import PASSWORD, make_user
from anzu.core import tokens

SECRET = "hr-webhook-secret-for-tests-0123456789abcdef"
# 2026-03-10 02:00 UTC = 10:00 in Shanghai.
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen_time() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _hr_secret(settings: Any) -> None:
    settings.HR_WEBHOOK_SECRET = SECRET
    settings.DORMANT_DAYS = 90


@pytest.fixture
def employee(org: Any) -> Any:
    return make_user(
        org,
        "customer_service",
        username="leaver",
        email="leaver@example.com",
        display_name="离职者",
    )


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def api_token(user: Any) -> str:
    _token, raw = tokens.token_create(user=user, name="cli")
    return raw


def sign(body: bytes, timestamp: int | str, secret: str = SECRET) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def hr_post(
    client: Client,
    payload: Any,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
    raw: bytes | None = None,
) -> Any:
    from anzu.common import clock

    body = raw if raw is not None else json.dumps(payload).encode()
    ts = int(clock.now().timestamp()) if timestamp is None else timestamp
    return client.post(
        "/api/v1/hr/offboarding",
        data=body,
        content_type="application/json",
        headers={
            "X-Anzu-Timestamp": str(ts),
            "X-Anzu-Signature": signature if signature is not None else sign(body, ts),
        },
    )


def make_lease(
    unit: Any, customer: Any, *, created_by: Any, code: str, status: str = "active"
) -> Any:
    """A lease row as the leasing services would leave it (these tests only read leases)."""
    from decimal import Decimal

    from anzu.leasing.models import Lease

    return Lease.objects.create(
        organization=unit.organization,
        project=unit.building.project,
        building=unit.building,
        unit=unit,
        customer=customer,
        code=code,
        status=status,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        occupied_until=dt.date(2026, 12, 31),
        monthly_rent=Decimal("3200.00"),
        deposit=Decimal("3200.00"),
        created_by=created_by,
    )


@pytest.fixture
def lease(portfolio: dict[str, Any], manager: Any) -> Any:
    return make_lease(portfolio["u1"], portfolio["customer"], created_by=manager, code="L-1")
