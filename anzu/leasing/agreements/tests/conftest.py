from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from anzu.common.testing import make_tenant, make_user
from anzu.integrations.esign.config import EsignConfig


@pytest.fixture
def frozen() -> Any:
    """2026-03-10 10:00 in Shanghai (time ticks, so signatures get distinct times)."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=True) as t:
        yield t


@pytest.fixture
def home(settings: Any, tmp_path: Any) -> Any:
    settings.ANZU_HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TSA_URL = ""
    settings.SIGNING_P12_DIR = ""
    settings.ESIGN = EsignConfig(provider="sandbox", retry_backoff_seconds=0.0)
    return tmp_path


def use_esign(settings: Any, **changes: Any) -> EsignConfig:
    settings.ESIGN = dataclasses.replace(settings.ESIGN, **changes)
    return settings.ESIGN


def make_lease(unit: Any, customer: Any, *, status: str = "pending_approval", **terms: Any) -> Any:
    """A lease row (the leasing services' own rules are tested in the leasing app)."""
    from anzu.leasing.models import Lease

    values: dict[str, Any] = {
        "start_date": dt.date(2026, 4, 1),
        "end_date": dt.date(2027, 3, 31),
        "monthly_rent": Decimal("4500.00"),
        "deposit_months": 1,
        "pay_months": 3,
        "deposit": Decimal("4500.00"),
        "due_day_rule": "days_before_period",
        "due_day_value": 5,
        "rent_free_periods": [{"start": "2026-04-01", "end": "2026-04-15"}],
        "late_fee_daily_rate": Decimal("0.00050"),
        "late_fee_grace_days": 3,
    }
    values.update(terms)
    return Lease.objects.create(
        organization=unit.building.project.organization,
        project=unit.building.project,
        building=unit.building,
        unit=unit,
        customer=customer,
        code=f"L-{unit.code}-{Lease.objects.count() + 1}",
        status=status,
        occupied_until=values["end_date"],
        **values,
    )


@pytest.fixture
def lease(portfolio: dict[str, Any], home: Any, frozen: Any) -> Any:
    """A lease of 静安公寓 1号楼 101 to 李雷, pending approval, 押1付3 with a rent-free half month."""
    return make_lease(portfolio["u1"], portfolio["customer"])


@pytest.fixture
def tenant(portfolio: dict[str, Any]) -> Any:
    return make_tenant(portfolio["customer"], username="lilei")


@pytest.fixture
def legal(org: Any) -> Any:
    return make_user(org, "legal", username="counsel")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


COMPANY_USCC = "91350100M000100Y43"


@pytest.fixture
def company(portfolio: dict[str, Any]) -> Any:
    """A company tenant (上海某科技有限公司) with its unified social credit code."""
    from anzu.common.testing import CustomerFactory

    return CustomerFactory(
        organization=portfolio["p1"].organization,
        project=portfolio["p1"],
        kind="company",
        name="上海某科技有限公司",
        id_type="uscc",
        id_number=COMPANY_USCC,
        phone="021-12345678",
    )


@pytest.fixture
def company_lease(portfolio: dict[str, Any], company: Any, home: Any, frozen: Any) -> Any:
    """A lease of 静安公寓 1号楼 102 to the company."""
    return make_lease(portfolio["u2"], company)
