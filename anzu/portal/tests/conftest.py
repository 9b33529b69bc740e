from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import time_machine

from anzu.billing.generation import bills_generate
from anzu.common.testing import CustomerFactory, lease_data, make_tenant, make_user
from anzu.integrations.payments.config import PaymentConfig
from anzu.leasing import services as leasing_services
from anzu.risk.approvals.testing import approve_as

SANDBOX_KEY = "portal-tests-sandbox-key"


@pytest.fixture
def frozen() -> Any:
    """Business date 2026-03-10 (Asia/Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture(autouse=True)
def _payments(settings: Any, tmp_path: Any) -> None:
    settings.PAYMENTS = PaymentConfig(provider="sandbox", sandbox_key=SANDBOX_KEY)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def use_payments(settings: Any) -> Any:
    def use(**changes: Any) -> PaymentConfig:
        settings.PAYMENTS = dataclasses.replace(settings.PAYMENTS, **changes)
        return settings.PAYMENTS

    return use


def _active_lease(manager: Any, unit: Any, customer: Any) -> Any:
    lease = approve_as(leasing_services.lease_create(by=manager, data=lease_data(unit, customer)))
    lease = leasing_services.lease_submit(lease=lease, by=manager)
    return approve_as(leasing_services.lease_activate(lease=lease, by=manager))


@pytest.fixture
def world(org: Any, portfolio: dict[str, Any], manager: Any, frozen: Any) -> dict[str, Any]:
    """Two tenants with one active lease each, billed through March 2026.

    Each lease has: rent Jan (due 01-01), deposit (due 01-01), rent Feb, rent Mar; 3200 each.
    """
    customer = portfolio["customer"]
    other_customer = CustomerFactory(organization=org, name="韩梅梅", project=portfolio["p2"])
    lease = _active_lease(manager, portfolio["u1"], customer)
    other_lease = _active_lease(manager, portfolio["u3"], other_customer)
    bills_generate(through=dt.date(2026, 3, 31))
    return {
        "customer": customer,
        "lease": lease,
        "tenant": make_tenant(customer, username="lilei"),
        "other_customer": other_customer,
        "other_lease": other_lease,
        "other_tenant": make_tenant(other_customer, username="hanmeimei"),
        "finance": make_user(org, "finance", username="caiwu"),
    }
