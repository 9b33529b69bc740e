"""Pages (decisions, my devices), the API, the selectors for reports and dashboards, the
sensitive-operation velocity and the API token delay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from anzu.common.testing import PASSWORD, make_user
from anzu.core import audit
from anzu.core.models import AuditEvent
from anzu.core.tokens import token_create
from anzu.risk.signin import selectors, services, tasks
from anzu.risk.signin.models import LoginAttempt

from .conftest import code_for, local

pytestmark = pytest.mark.django_db

DAY = local(2026, 12, 1, 10, 0)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def attempt(user, *, at, decision="allow", outcome="logged_in", kind="login", **extra):
    return LoginAttempt.objects.create(
        user=user,
        organization=user.organization,
        username=user.username,
        kind=kind,
        decision=decision,
        outcome=outcome,
        at=at,
        **extra,
    )


# Decisions page and API ----------------------------------------------------------------------


def test_decisions_page_lists_own_organization_with_signals(org, other_org, manager):
    li = make_user(org, "finance", username="li")
    outsider = make_user(other_org, "finance", username="outsider")
    attempt(
        li,
        at=DAY,
        decision="step_up",
        outcome="step_up_required",
        signals=[{"name": "new_device", "weight": 30, "detail": {}}],
        score=30,
        ip="203.0.113.5",
    )
    attempt(outsider, at=DAY, decision="deny", outcome="denied")
    page = logged_in(manager).get(reverse("signin:decisions"))
    assert page.status_code == 200
    rows = list(page.context["page"])
    assert [r.username for r in rows] == ["li"]
    html = page.content.decode()
    assert "新设备 (+30)" in html and "203.0.113.5" in html
    assert 'id="signin-settings"' in html and "加强验证起始分" in html
    filtered = logged_in(manager).get(reverse("signin:decisions"), {"decision": "deny"})
    assert list(filtered.context["page"]) == []
    bad = logged_in(manager).get(reverse("signin:decisions"), {"since": "2026-02-30"})
    assert "since" in bad.context["errors"]


def test_decisions_page_in_english(org, manager):
    client = logged_in(manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("signin:decisions")).content.decode()
    assert "Login decisions" in html and "Step-up from score" in html


@pytest.mark.parametrize("role", ["finance", "legal", "customer_service", "frontline", "engineer"])
def test_decisions_are_for_admins_and_managers_only(org, role):
    user = make_user(org, role, username=f"u-{role}")
    assert logged_in(user).get(reverse("signin:decisions")).status_code == 403
    _token, raw = token_create(user=user, name="t")
    response = Client().get("/api/v1/signin/decisions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_decisions_api_lists_pages_and_validates_filters(org, admin_user):
    li = make_user(org, "finance", username="li")
    for n in range(3):
        attempt(li, at=DAY + dt.timedelta(minutes=n), score=n)
    attempt(li, at=DAY + dt.timedelta(hours=1), decision="deny", outcome="denied", score=95)
    _token, raw = token_create(user=admin_user, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = Client().get("/api/v1/signin/decisions?page_size=2", **auth).json()
    assert (body["total"], body["page"], body["page_size"]) == (4, 1, 2)
    assert body["items"][0]["decision"] == "deny" and body["items"][0]["score"] == 95
    assert set(body["items"][0]) >= {"signals", "ip", "device_id", "region", "outcome", "at"}
    only = Client().get("/api/v1/signin/decisions?decision=deny", **auth).json()
    assert only["total"] == 1
    bad = Client().get("/api/v1/signin/decisions?decision=maybe", **auth)
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"]) == ("invalid_choice", "decision")
    bad_date = Client().get("/api/v1/signin/decisions?since=2026-13-01", **auth)
    assert bad_date.status_code == 422 and bad_date.json()["field"] == "since"


def test_enrollment_status_api(org, enrolled):
    user = make_user(org, "frontline", username="fl")
    client = logged_in(user)
    assert client.get("/api/v1/signin/enrollment").json() == {
        "enrolled": False,
        "devices": [],
        "verified": False,
    }
    device = enrolled(user, name="工作手机")
    body = client.get("/api/v1/signin/enrollment").json()
    assert body["enrolled"] is True and body["devices"][0]["name"] == "工作手机"
    assert body["devices"][0]["id"] == device.pk
    assert Client().get("/api/v1/signin/enrollment").status_code == 401


# My devices -----------------------------------------------------------------------------------


def test_enrol_confirm_and_remove_a_device_with_a_fresh_code(org, clock_at):
    moment = clock_at(DAY)
    user = make_user(org, "engineer", username="eng")
    client = logged_in(user)
    page = client.get(reverse("signin:devices"))
    assert page.status_code == 200 and "尚未绑定身份验证器" in page.content.decode()
    response = client.post(reverse("signin:device_add"), {"name": "工作手机"})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    page = client.get(reverse("signin:devices"))
    assert "<svg" in page.content.decode() and page.context["secret"]
    assert "otpauth://totp/" in device.config_url

    bad = client.post(reverse("signin:device_confirm", args=[device.pk]), {"token": "000000"})
    assert bad.status_code == 400 and "token" in bad.context["confirm_form"].errors
    device.refresh_from_db()
    assert not device.confirmed
    moment.shift(dt.timedelta(seconds=31))
    ok = client.post(
        reverse("signin:device_confirm", args=[device.pk]), {"token": code_for(device)}
    )
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="signin.totp_enroll", actor=user).count() == 1

    # Removal needs a current code.
    moment.shift(dt.timedelta(seconds=31))
    refused = client.post(reverse("signin:device_remove", args=[device.pk]), {"token": "111111"})
    assert refused.status_code == 400 and refused.context["remove_error_for"] == device.pk
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    moment.shift(dt.timedelta(seconds=31))
    removed = client.post(
        reverse("signin:device_remove", args=[device.pk]), {"token": code_for(device)}
    )
    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.filter(action="signin.totp_remove").count() == 1


def test_devices_of_others_are_not_found(org, enrolled):
    owner = make_user(org, "finance", username="owner")
    device = enrolled(owner)
    other = logged_in(make_user(org, "finance", username="other"))
    response = other.post(reverse("signin:device_remove", args=[device.pk]), {"token": "123456"})
    assert response.status_code == 404
    response = other.post(reverse("signin:device_confirm", args=[device.pk]), {"token": "123456"})
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_device_name_is_required(org):
    client = logged_in(make_user(org, "finance", username="f1"))
    response = client.post(reverse("signin:device_add"), {"name": ""})
    assert response.status_code == 400 and "name" in response.context["start_form"].errors
    assert not TOTPDevice.objects.exists()


def test_tenants_and_anonymous_users_have_no_device_page(org):
    assert Client().get(reverse("signin:devices")).status_code == 302


# Selectors for the shadow-lease report and the dashboard --------------------------------------


def test_risky_logins_and_decisions_by_kind(org, other_org):
    li = make_user(org, "finance", username="li")
    attempt(li, at=local(2026, 12, 1, 2, 0), decision="step_up", outcome="step_up_passed")
    attempt(li, at=local(2026, 12, 1, 3, 0), decision="deny", outcome="denied")
    attempt(li, at=local(2026, 12, 1, 9, 0))
    attempt(li, at=local(2026, 12, 2, 0, 30), decision="deny", outcome="denied")
    attempt(li, at=local(2026, 12, 2, 1, 0), outcome="throttled", decision="")
    attempt(
        li, at=local(2026, 12, 2, 1, 5), kind="operation", decision="step_up", outcome="flagged"
    )
    outsider = make_user(other_org, "finance", username="x")
    attempt(outsider, at=local(2026, 12, 1, 2, 0), decision="deny", outcome="denied")

    risky = selectors.risky_logins(li, local(2026, 12, 1), local(2026, 12, 2))
    assert [(a.decision, a.outcome) for a in risky] == [
        ("step_up", "step_up_passed"),
        ("deny", "denied"),
    ]
    counts = selectors.decisions_by_kind(org, dt.date(2026, 12, 1), dt.date(2026, 12, 3))
    assert counts == [
        {"day": dt.date(2026, 12, 1), "kind": "deny", "count": 1},
        {"day": dt.date(2026, 12, 1), "kind": "step_up", "count": 1},
        {"day": dt.date(2026, 12, 2), "kind": "deny", "count": 1},
        {"day": dt.date(2026, 12, 2), "kind": "sensitive_velocity", "count": 1},
        {"day": dt.date(2026, 12, 2), "kind": "throttled", "count": 1},
    ]
    # Days are the organization's: 00:30 on 2 December in Shanghai is not 1 December.
    assert selectors.decisions_by_kind(org, dt.date(2026, 12, 2), dt.date(2026, 12, 2)) == []


# Sensitive operations -------------------------------------------------------------------------


def _leases_created(user, n):
    with transaction.atomic():
        for i in range(n):
            audit.record(
                action="lease.create",
                object_type="leasing.lease",
                object_id=i + 1,
                organization=user.organization,
                actor=user,
            )


def test_sensitive_operation_velocity_flags_once_per_window(org, configure, clock_at):
    moment = clock_at(DAY)
    configure(sensitive_limit=3, sensitive_window_minutes=10)
    li = make_user(org, "finance", username="li")
    _leases_created(li, 3)
    assert services.sensitive_operation(li, "lease.create") is None
    _leases_created(li, 1)
    flag = services.sensitive_operation(li, "lease.create")
    assert flag is not None
    assert (flag.kind, flag.decision, flag.outcome) == ("operation", "step_up", "flagged")
    assert flag.signals[0]["detail"]["count"] == 4
    assert services.sensitive_operation(li, "lease.create") == flag  # no second flag
    assert AuditEvent.objects.filter(action="signin.operation_velocity").count() == 1
    _leases_created(li, 3)
    moment.shift(dt.timedelta(minutes=11))
    assert services.sensitive_operation(li, "lease.create") is None  # the window moved on
    # The flag raises the user's next login for 24 hours.
    history = services.history_of(li, ip=None, at=services.clock.now())
    assert history.sensitive_flags == 1


def test_velocity_over_twice_the_limit_is_a_deny(org, configure, clock_at):
    clock_at(DAY)
    configure(sensitive_limit=2)
    li = make_user(org, "finance", username="li")
    _leases_created(li, 5)
    assert services.sensitive_operation(li, "lease.create").decision == "deny"


def test_periodic_scan_over_the_audit_log_is_idempotent(org, configure, clock_at):
    clock_at(DAY)
    configure(sensitive_limit=2)
    li = make_user(org, "finance", username="li")
    calm = make_user(org, "finance", username="calm")
    _leases_created(li, 3)
    _leases_created(calm, 2)
    assert tasks.scan_sensitive_operations.call_local() == 1
    assert tasks.scan_sensitive_operations.call_local() == 0
    flags = LoginAttempt.objects.filter(kind="operation")
    assert [(f.user, f.signals[0]["detail"]["kind"]) for f in flags] == [(li, "lease.create")]


# API tokens -----------------------------------------------------------------------------------


def test_wrong_api_tokens_delay_the_ip(org, manager, clock_at):
    moment = clock_at(DAY)
    _token, raw = token_create(user=manager, name="t")
    for n in range(10):
        response = Client().get(
            "/api/v1/signin/enrollment",
            HTTP_AUTHORIZATION=f"Bearer anzu_wrong{n}",
            REMOTE_ADDR="192.0.2.5",
        )
        assert response.status_code == 401
    refused = Client().get(
        "/api/v1/signin/enrollment", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="192.0.2.5"
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_attempts" and refused["Retry-After"] == "1"
    # Another IP is unaffected; after the wait the right token works again.
    elsewhere = Client().get(
        "/api/v1/signin/enrollment", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="192.0.2.6"
    )
    assert elsewhere.status_code == 200
    moment.shift(dt.timedelta(seconds=1))
    again = Client().get(
        "/api/v1/signin/enrollment", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="192.0.2.5"
    )
    assert again.status_code == 200
    assert LoginAttempt.objects.filter(kind="token", outcome="bad_token").count() == 10


def test_password_login_through_the_admin_is_assessed_too(org, clock_at):
    clock_at(DAY)
    make_user(org, "admin", username="boss", is_staff=True)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert LoginAttempt.objects.get().outcome == "logged_in"


def test_admin_login_for_a_logged_in_user_without_admin_rights_does_not_loop(org):
    staffer = make_user(org, "admin", username="staffer2", is_staff=True)
    client = logged_in(staffer)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 200  # the admin's "not authorized" page, not a redirect
