"""In headless chromium: an unusual login asks for a TOTP code, then the session is verified."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from anzu.common import clock
from anzu.common.browser import BROWSER_MARKS
from anzu.common.testing import PASSWORD, OrganizationFactory, make_user
from anzu.risk.signin.models import KnownDevice, KnownNetwork, LoginAttempt

from .conftest import code_for

SCREENSHOTS = Path(os.environ.get("ANZU_SCREENSHOT_DIR", "/tmp"))

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_unusual_login_steps_up_with_a_totp_code(
    live_server: Any, browser_page: Any, enrolled: Any
) -> None:
    from playwright.sync_api import expect

    org = OrganizationFactory()
    user = make_user(org, "management", username="manager", display_name="王经理")
    device = enrolled(user)
    now = clock.now()
    # Known from before: another browser on another network.
    KnownDevice.objects.create(user=user, device_id="f" * 32, first_seen_at=now, last_seen_at=now)
    KnownNetwork.objects.create(
        user=user, network="198.51.100.0/24", first_seen_at=now, last_seen_at=now
    )
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("确认是您本人")
    page.screenshot(path=str(SCREENSHOTS / "signin-step-up.png"), full_page=True)
    page.fill("#id_token", "000000")
    page.click("button.primary")
    expect(page.locator("#field-token .field-error")).to_contain_text("验证码错误")
    page.wait_for_timeout(1100)  # django-otp slows down a device after a wrong code
    page.fill("#id_token", code_for(device))
    page.click("button.primary")
    expect(page.locator("h1")).to_contain_text("欢迎")
    page.goto(f"{live_server.url}/security/devices/")
    expect(page.locator("#totp-devices")).to_contain_text("已通过身份验证器验证码确认")
    attempt = LoginAttempt.objects.get(user=user)
    assert attempt.decision == "step_up" and attempt.outcome == "step_up_passed"
    assert {"new_device", "new_network"} <= set(attempt.signal_names)
