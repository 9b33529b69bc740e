from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from anzu.common.testing import lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.risk.approvals.testing import approve_as


@pytest.fixture
def frozen() -> Any:
    """Business date 2026-03-10 (Asia/Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def home(settings: Any, tmp_path: Any) -> Any:
    settings.ANZU_HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.COLLECTION_ACCOUNT = (
        "户名：安租测试运营主体\\n开户行：招商银行上海分行\\n账号：6214 8888 0000 1234"
    )
    return tmp_path


@pytest.fixture
def overdue(portfolio: dict[str, Any], manager: Any, frozen: Any, home: Any) -> dict[str, Any]:
    """An active lease of 静安公寓 1号楼 101 to 李雷 with February's and March's rent
    (3,200.00 each, due 02-01 and 03-01) and a 156.80 utility charge (due 02-10) unpaid."""
    from anzu.billing import services as billing_services
    from anzu.billing.generation import bills_generate
    from anzu.billing.models import Bill

    data = lease_data(portfolio["u1"], portfolio["customer"])
    lease = approve_as(leasing_services.lease_create(by=manager, data=data))
    lease = leasing_services.lease_submit(lease=lease, by=manager)
    lease = approve_as(leasing_services.lease_activate(lease=lease, by=manager))
    bills_generate(through=dt.date(2026, 3, 31))
    finance = make_user(lease.organization, "finance", username="cashier")
    billing_services.charge_create(
        by=finance,
        lease_id=lease.pk,
        kind="utility",
        amount="156.80",
        due_date="2026-02-10",
        period_start="2026-01-01",
        period_end="2026-01-31",
    )
    # Deposit and January's rent are paid.
    billing_services.payment_record(
        by=finance, lease_id=lease.pk, channel="bank_transfer", amount="6400.00", reference="B1"
    )
    bills = list(Bill.objects.filter(lease=lease, status="open", due_date__lt=dt.date(2026, 3, 10)))
    return {"lease": lease, "bills": bills, "customer": portfolio["customer"]}
