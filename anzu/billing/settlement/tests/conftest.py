from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from anzu.billing import services as billing_services
from anzu.billing.generation import bills_generate
from anzu.billing.settlement import statement_pdf
from anzu.common.testing import PASSWORD, lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals.testing import approve_as

D = dt.date


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.ANZU_HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_pdf(request: Any, monkeypatch: Any) -> None:
    """Rendering and signing a PDF takes seconds; only tests marked ``real_pdf`` do it."""
    if "real_pdf" in request.fixturenames:
        return
    monkeypatch.setattr(
        statement_pdf,
        "statement_pdf",
        lambda case, statement, organization: (
            b"%PDF-1.7 test statement "
            + str(case.pk).encode()
            + b" "
            + statement["computed_at"].encode()
        ),
    )


@pytest.fixture
def real_pdf() -> None:
    """Marker fixture: render and sign the statement PDF for real."""


@pytest.fixture
def finance(org: Any) -> Any:
    return make_user(org, "finance", username="finance")


@pytest.fixture
def frozen() -> Any:
    """Business date 2026-03-31 (Asia/Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 3, 31, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def make_lease(portfolio: dict[str, Any], manager: Any) -> Callable[..., Lease]:
    def make(unit: str = "u1", **terms: Any) -> Lease:
        data = lease_data(portfolio[unit], portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        return approve_as(leasing_services.lease_activate(lease=lease, by=manager))

    return make


@pytest.fixture
def billed(make_lease: Callable[..., Lease], frozen: Any, finance: Any) -> Lease:
    """Lease of u1 from 2026-01-01, rent 3200/month, deposit 3200 paid with January's rent.

    Bills through March: deposit and January paid (6400 received); February and March open.
    """
    lease = make_lease()
    bills_generate(through=D(2026, 3, 31))
    billing_services.payment_record(
        by=finance, lease_id=lease.pk, channel="bank_transfer", amount="6400.00", reference="B-1"
    )
    lease.refresh_from_db()
    return lease


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
