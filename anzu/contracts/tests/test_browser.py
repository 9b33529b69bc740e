"""End to end in headless chromium: a reviewer works through the contract review queue."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from anzu.common.browser import BROWSER_MARKS
from anzu.common.testing import PASSWORD, make_user
from anzu.contracts import services
from anzu.contracts.tests.conftest import LEASE_TEXT

SCREENSHOTS = Path(os.environ.get("ANZU_SCREENSHOT_DIR", "/tmp"))

pytestmark = BROWSER_MARKS


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")


@pytest.mark.django_db(transaction=True)
def test_reviewer_corrects_a_low_confidence_field(
    live_server: Any, browser_page: Any, org: Any, portfolio: Any, home: Any, fake_engine: Any
) -> None:
    from playwright.sync_api import expect

    from anzu.contracts.models import ContractField
    from anzu.core.models import AuditEvent

    reviewer = make_user(org, "management", username="reviewer", display_name="赵复核")
    make_user(org, "frontline", username="clerk", buildings=[portfolio["b1"]])
    # Two archived contracts; the fake engine reads each monthly rent with confidence 0.6.
    first = services.contract_upload(
        by=reviewer, file_bytes=LEASE_TEXT.encode(), filename="a.txt", unit_id=portfolio["u1"].pk
    )
    second = services.contract_upload(
        by=reviewer,
        file_bytes=LEASE_TEXT.replace("1202室", "1502室").encode(),
        filename="b.txt",
        unit_id=portfolio["u3"].pk,
    )
    pending = ContractField.objects.filter(status="needs_review").order_by("contract_id")
    assert [(f.contract_id, f.name, f.value) for f in pending] == [
        (first.pk, "monthly_rent", "6500.00"),
        (second.pk, "monthly_rent", "6500.00"),
    ]
    rent = pending[0]

    page = browser_page
    base = live_server.url

    # A clerk without contract.write cannot open the queue.
    log_in(page, base, "clerk")
    response = page.goto(f"{base}/contracts/review/")
    assert response is not None and response.status == 403
    page.context.clear_cookies()

    # The reviewer opens the queue (Chinese by default) from the contract archive's tabs.
    log_in(page, base, "reviewer")
    page.goto(f"{base}/contracts/")
    page.click("nav.tabs >> text=待复核队列")
    expect(page.locator("h1")).to_have_text("待复核队列")
    items = page.locator("article.queue-item")
    expect(items).to_have_count(2)
    row = page.locator(f"#field-row-{rent.pk}")
    expect(row.locator("strong")).to_have_text("6500.00")
    expect(row).to_contain_text("置信度 0.60")
    expect(row.locator(".badge")).to_have_text("待复核")
    # The evidence: the words of the contract the value was read from, highlighted in context.
    expect(row.locator(".evidence mark")).to_have_text("6500.00")
    expect(row.locator(".evidence")).to_contain_text("月租金为人民币陆仟伍佰元整（¥6500.00）")

    # A value that is not an amount is refused in place, and nothing changes.
    row.locator("input[name=value]").fill("六千六")
    row.locator("button >> text=保存更正").click()
    expect(row.locator(".field-error")).to_be_visible()
    rent.refresh_from_db()
    assert (rent.status, rent.value, rent.corrected_by_id) == ("needs_review", "6500.00", None)

    # The correction, submitted with the Enter key from the value box.
    row.locator("input[name=value]").fill("6600")
    row.locator("input[name=value]").press("Enter")
    expect(row.locator("p.ok")).to_have_text("已保存。 已更正: 6600.00")
    page.screenshot(path=str(SCREENSHOTS / "anzu-contract-review-queue.png"), full_page=True)
    rent.refresh_from_db()
    assert (rent.status, rent.value, rent.original_value) == ("corrected", "6600.00", "6500.00")
    assert rent.corrected_by_id == reviewer.pk and rent.corrected_at is not None
    first.refresh_from_db()
    assert str(first.monthly_rent) == "6600.00"  # copied onto the contract's key fields
    event = AuditEvent.objects.get(action="contract.field_correct")
    assert event.actor_id == reviewer.pk

    # It has left the queue; the other contract's field still waits.
    page.reload()
    expect(items).to_have_count(1)
    expect(page.locator(f"#field-row-{rent.pk}")).to_have_count(0)

    # In English.
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Review queue")
    other = page.locator(f"#field-row-{pending[1].pk}")
    expect(other).to_contain_text("Value read: 6500.00")
    expect(other.locator(".badge")).to_have_text("Needs review")
    expect(other.locator("button >> text=Save correction")).to_be_visible()
    other.locator("button >> text=Confirm").click()
    expect(other.locator("p.ok")).to_have_text("Saved. Confirmed")
    page.reload()
    expect(page.locator("main")).to_contain_text("Nothing waits for review.")
    expect(items).to_have_count(0)
    confirmed = ContractField.objects.get(pk=pending[1].pk)
    assert (confirmed.status, confirmed.value, confirmed.corrected_by_id) == (
        "confirmed",
        "6500.00",
        reviewer.pk,
    )
