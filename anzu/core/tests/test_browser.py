"""End to end in headless chromium: a manager walks the portfolio and creates a lease."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from anzu.common.browser import BROWSER_MARKS
from anzu.common.testing import (
    PASSWORD,
    BuildingFactory,
    CustomerFactory,
    OrganizationFactory,
    ProjectFactory,
    UnitFactory,
    make_user,
)

SCREENSHOTS = Path(os.environ.get("ANZU_SCREENSHOT_DIR", "/tmp"))

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_manager_creates_a_lease_through_the_pages(live_server: Any, browser_page: Any) -> None:
    from playwright.sync_api import expect

    from anzu.leasing.models import Lease

    org = OrganizationFactory()
    project = ProjectFactory(organization=org, code="JA", name="静安公寓")
    building = BuildingFactory(project=project, code="B1", name="1号楼", floors=3)
    for floor in (1, 2, 3):
        for n in (1, 2, 3, 4):
            UnitFactory(
                building=building,
                code=f"{floor}0{n}",
                floor=floor,
                list_rent=Decimal("3200.00"),
                status="maintenance" if (floor, n) == (3, 4) else "vacant",
            )
    li_lei = CustomerFactory(organization=org, name="李雷", project=project)
    CustomerFactory(organization=org, name="韩梅梅", project=project)
    make_user(org, "management", username="manager", display_name="王经理")
    make_user(org, "admin", "management", username="checker", display_name="李主管")

    page = browser_page
    external: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else external.append(request.url)
        ),
    )

    # Log in (Chinese by default).
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("h1")).to_have_text("登录安租")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    expect(page.locator("h1")).to_contain_text("欢迎")

    # Portfolio → building grid.
    page.click("nav.nav >> text=房源")
    expect(page.locator("h1")).to_contain_text("房源")
    page.click("a.building-link")
    expect(page.locator("h1")).to_contain_text("1号楼")
    expect(page.locator("a.cell")).to_have_count(12)
    expect(page.locator("a.cell.status-maintenance")).to_have_text("304")
    page.screenshot(path=str(SCREENSHOTS / "anzu-building-grid.png"), full_page=True)

    # Unit 101 → new lease through the form.
    page.click("a.cell >> text=101")
    expect(page.locator("h1")).to_contain_text("101")
    page.click("text=新建租约")
    expect(page.locator("#id_unit_code")).to_have_value("101")
    expect(page.locator("#id_customer_id option")).to_have_count(3)
    page.fill("input[name=customer_q]", "李")  # the picker narrows as one types
    expect(page.locator("#id_customer_id option")).to_have_count(2)
    page.select_option("#id_customer_id", value=str(li_lei.pk))
    page.fill("#id_start_date", "2026-01-01")
    page.fill("#id_end_date", "2026-12-31")
    page.fill("#id_monthly_rent", "3200")
    page.click("#lease-form button[type=submit]")
    # Creating a lease is guarded: the request waits for a second person.
    expect(page.locator(".message.info")).to_contain_text("已提交审批")
    expect(page.locator("#request-status")).to_have_text("待审批")
    expect(page.locator("#request-diff")).to_contain_text("月租金")
    assert not Lease.objects.exists()

    # The checker logs in, finds it in 待我审批 (the menu shows the count) and approves it.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "checker")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.click("nav.nav >> text=审批 (1)")
    page.click("#approval-requests tbody a")
    page.click("#decision-form >> text=批准")
    expect(page.locator("#request-status")).to_have_text("已执行")
    lease = Lease.objects.get()
    page.goto(f"{live_server.url}/leasing/leases/{lease.pk}/")
    expect(page.locator("h1")).to_contain_text(lease.code)

    # The unit page lists it as a current lease and the unit is now reserved.
    page.click("dd >> text=1号楼 101")
    expect(page.locator("h1 .badge")).to_have_text("已预订")
    expect(page.locator("section.card").nth(1)).to_contain_text(lease.code)

    # A second lease with the end date before the start date: the error sits under the end date.
    page.goto(f"{live_server.url}/portfolio/buildings/{building.pk}/")
    page.click("a.cell >> text=102")
    page.click("text=新建租约")
    page.select_option("#id_customer_id", value=str(li_lei.pk))
    page.fill("#id_start_date", "2026-06-01")
    page.fill("#id_end_date", "2026-05-01")
    page.fill("#id_monthly_rent", "3300")
    page.click("#lease-form button[type=submit]")
    end_field = page.locator("#field-end_date")
    expect(end_field.locator(".field-error")).to_have_text("结束日期早于开始日期。")
    expect(page.locator("#id_end_date")).to_have_value("2026-05-01")
    expect(page.locator("#id_monthly_rent")).to_have_value("3300")
    expect(page.locator("#field-start_date .field-error")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "anzu-lease-form-error.png"), full_page=True)
    assert Lease.objects.count() == 1

    # The same page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/portfolio/buildings/{building.pk}/")
    expect(page.locator("a.cell")).to_have_count(12)
    page.screenshot(path=str(SCREENSHOTS / "anzu-phone-grid.png"), full_page=True)

    # Customer search filters the list as one types (htmx, served locally).
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("nav.nav >> text=租客")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.fill("#id_q", "韩")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("韩梅梅")

    # Switch to English.
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Customers")
    assert external == []
