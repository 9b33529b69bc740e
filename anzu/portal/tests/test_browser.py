"""End to end in headless chromium on a phone-sized screen: a tenant pays in the sandbox."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from anzu.common.browser import BROWSER_MARKS, chromium_page
from anzu.common.testing import PASSWORD, lease_data, make_tenant
from anzu.risk.approvals.testing import approve_as

SCREENSHOTS = Path(os.environ.get("ANZU_SCREENSHOT_DIR", "/tmp"))

pytestmark = BROWSER_MARKS


@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch) -> Any:
    with chromium_page(monkeypatch, width=390, height=844) as page:
        yield page


@pytest.mark.django_db(transaction=True)
def test_tenant_pays_everything_due_in_the_sandbox(
    live_server: Any, phone: Any, portfolio: dict[str, Any], manager: Any
) -> None:
    from playwright.sync_api import expect

    from anzu.billing.generation import bills_generate
    from anzu.billing.models import Bill, Payment
    from anzu.common import clock
    from anzu.leasing import services as leasing_services

    today = clock.today()
    start = today.replace(day=1)
    data = lease_data(
        portfolio["u1"],
        portfolio["customer"],
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=360)).isoformat(),
    )
    lease = approve_as(leasing_services.lease_create(by=manager, data=data))
    lease = leasing_services.lease_submit(lease=lease, by=manager)
    lease = approve_as(leasing_services.lease_activate(lease=lease, by=manager))
    bills_generate(through=today)
    make_tenant(portfolio["customer"], username="lilei")

    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "lilei")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.click("#portal-links >> text=我的账单")
    expect(page.locator("#total-outstanding")).to_contain_text("¥6,400.00")
    page.screenshot(path=str(SCREENSHOTS / "portal-bills.png"), full_page=True)
    page.click("text=全部支付")
    page.click("#pay-form button[type=submit]")
    expect(page.locator("#sandbox-banner")).to_contain_text("沙箱")
    page.screenshot(path=str(SCREENSHOTS / "portal-sandbox-checkout.png"), full_page=True)
    page.click("button[value=pay]")
    expect(page.locator("#order")).to_have_attribute("data-status", "paid")
    page.screenshot(path=str(SCREENSHOTS / "portal-paid.png"), full_page=True)
    assert set(Bill.objects.filter(lease=lease).values_list("status", flat=True)) == {"paid"}
    assert Payment.objects.get().reference.startswith("SANDBOX-")
