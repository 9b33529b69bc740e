"""End to end in headless chromium on a phone-sized screen: a tenant pays in the sandbox."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from anzu.common.testing import PASSWORD, lease_data, make_tenant

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("ANZU_SCREENSHOT_DIR", "/tmp"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch) -> Any:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


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
    lease = leasing_services.lease_create(by=manager, data=data)
    lease = leasing_services.lease_submit(lease=lease, by=manager)
    lease = leasing_services.lease_activate(lease=lease, by=manager)
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
