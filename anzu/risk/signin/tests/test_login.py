"""The login flow end to end: decisions, step-up with TOTP, enrolment policy, denials,
progressive delays (time frozen) and no permanent lockout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from anzu.common.testing import PASSWORD, CustomerFactory, make_tenant, make_user
from anzu.core.models import AuditEvent
from anzu.risk.signin import services
from anzu.risk.signin.models import KnownDevice, KnownNetwork, LoginAttempt

from .conftest import code_for, local
from .xdb_writer import build_xdb

pytestmark = pytest.mark.django_db

HOME_IP = "198.51.100.7"
OTHER_IP = "203.0.113.50"
DAY = local(2026, 12, 1, 10, 0)


def post_login(client, username, password=PASSWORD, ip=HOME_IP, **data):
    return client.post(
        reverse("login"), {"username": username, "password": password, **data}, REMOTE_ADDR=ip
    )


def is_logged_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


@pytest.fixture
def li(org):
    return make_user(org, "management", username="li")


@pytest.fixture
def known_client(li, clock_at):
    """A browser li logged in from before (device and network learned)."""
    clock_at(DAY - dt.timedelta(days=1))
    client = Client()
    assert post_login(client, "li").status_code == 302
    client.post(reverse("logout"))
    return client


def test_first_login_is_allowed_and_learns_device_and_network(li, clock_at):
    clock_at(DAY)
    client = Client()
    client.get(reverse("login"))
    device_id = client.cookies[services.DEVICE_COOKIE].value
    response = post_login(client, "li", next="/leasing/")
    assert response.status_code == 302 and response["Location"] == "/leasing/"
    assert is_logged_in(client)
    attempt = LoginAttempt.objects.get()
    assert (attempt.decision, attempt.outcome, attempt.score) == ("allow", "logged_in", 0)
    assert attempt.user == li and attempt.ip == HOME_IP
    device = KnownDevice.objects.get(user=li)
    assert device.device_id != device_id  # the cookie is signed, not the bare id
    assert device.device_id in device_id
    assert KnownNetwork.objects.get(user=li).network == "198.51.100.0/24"
    assert not AuditEvent.objects.filter(action__startswith="signin.").exists()


def test_tampered_device_cookie_counts_as_a_new_device(li, known_client, clock_at, enrolled):
    clock_at(DAY)
    known_client.cookies[services.DEVICE_COOKIE] = "forged:value"
    enrolled(li)
    response = post_login(known_client, "li", ip=OTHER_IP)
    assert response["Location"] == reverse("signin:verify")
    assert LoginAttempt.objects.latest("id").signal_names == ["new_device", "new_network"]


def test_known_device_on_a_new_network_is_allowed(li, known_client, clock_at):
    clock_at(DAY)
    response = post_login(known_client, "li", ip=OTHER_IP)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    attempt = LoginAttempt.objects.latest("id")
    assert (attempt.signal_names, attempt.score, attempt.decision) == (["new_network"], 20, "allow")
    assert KnownNetwork.objects.filter(user=li).count() == 2


def test_step_up_with_a_valid_totp_code(li, known_client, clock_at, enrolled):
    moment = clock_at(DAY)
    device = enrolled(li)
    stranger = Client()
    response = post_login(stranger, "li", ip=OTHER_IP, next="/leasing/")
    assert response.status_code == 302 and response["Location"] == reverse("signin:verify")
    assert not is_logged_in(stranger)  # nothing is authenticated before the code
    attempt = LoginAttempt.objects.latest("id")
    assert (attempt.decision, attempt.outcome) == ("step_up", "step_up_required")
    assert attempt.signal_names == ["new_device", "new_network"]
    event = AuditEvent.objects.get(action="signin.step_up")
    assert event.object_id == str(attempt.pk) and event.actor_id == li.pk
    assert event.changes["signals"] == [None, ["new_device", "new_network"]]

    page = stranger.get(reverse("signin:verify"))
    assert page.status_code == 200 and "id_token" in page.content.decode()
    wrong = stranger.post(reverse("signin:verify"), {"token": "000000"})
    assert wrong.status_code == 400
    assert "token" in wrong.context["form"].errors
    assert not is_logged_in(stranger)

    moment.shift(dt.timedelta(seconds=31))  # past django-otp's own throttle and the step
    right = stranger.post(reverse("signin:verify"), {"token": code_for(device)})
    assert right.status_code == 302 and right["Location"] == "/leasing/"
    assert is_logged_in(stranger)
    devices_page = stranger.get(reverse("signin:devices"))
    assert devices_page.context["verified"] is True
    attempt.refresh_from_db()
    assert attempt.outcome == "step_up_passed"
    assert AuditEvent.objects.filter(action="signin.step_up_passed").count() == 1
    # The device is learned: the next login from it is not a new device.
    assert KnownDevice.objects.filter(user=li).count() == 2


def test_step_up_refused_for_good_after_five_wrong_codes(li, known_client, clock_at, enrolled):
    moment = clock_at(DAY)
    enrolled(li)
    stranger = Client()
    post_login(stranger, "li", ip=OTHER_IP)
    for _ in range(4):
        assert stranger.post(reverse("signin:verify"), {"token": "123456"}).status_code == 400
        moment.shift(dt.timedelta(seconds=20))
    last = stranger.post(reverse("signin:verify"), {"token": "123456"})
    assert last.status_code == 302 and last["Location"] == reverse("login")
    assert LoginAttempt.objects.latest("id").outcome == "step_up_failed"
    assert AuditEvent.objects.filter(action="signin.step_up_failed").exists()
    assert stranger.get(reverse("signin:verify"))["Location"] == reverse("login")
    assert not is_logged_in(stranger)


def test_pending_step_up_expires(li, known_client, clock_at, enrolled):
    moment = clock_at(DAY)
    device = enrolled(li)
    stranger = Client()
    post_login(stranger, "li", ip=OTHER_IP)
    moment.shift(dt.timedelta(minutes=11))
    response = stranger.post(reverse("signin:verify"), {"token": code_for(device)})
    assert response["Location"] == reverse("login")
    assert not is_logged_in(stranger)


def test_step_up_without_a_device_is_denied_with_a_clear_message(li, known_client, clock_at):
    clock_at(DAY)
    stranger = Client()
    response = post_login(stranger, "li", ip=OTHER_IP)
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-code="login_denied"' in html and "联系管理员" in html
    assert not is_logged_in(stranger)
    attempt = LoginAttempt.objects.latest("id")
    assert (attempt.decision, attempt.outcome) == ("step_up", "denied")
    assert AuditEvent.objects.filter(action="signin.step_up", object_id=str(attempt.pk)).exists()


def test_policy_may_enrol_a_device_during_a_low_score_login(li, known_client, clock_at, configure):
    moment = clock_at(DAY)
    configure(enroll_below=60)
    stranger = Client()
    response = post_login(stranger, "li", ip=OTHER_IP)
    assert response["Location"] == reverse("signin:enroll")
    page = stranger.get(reverse("signin:enroll"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=li, confirmed=False)
    assert stranger.get(reverse("signin:enroll")).context["secret"] == page.context["secret"]
    bad = stranger.post(reverse("signin:enroll"), {"token": "999999"})
    assert bad.status_code == 400 and not is_logged_in(stranger)
    moment.shift(dt.timedelta(seconds=31))
    ok = stranger.post(reverse("signin:enroll"), {"token": code_for(device)})
    assert ok.status_code == 302 and is_logged_in(stranger)
    device.refresh_from_db()
    assert device.confirmed
    assert LoginAttempt.objects.latest("id").outcome == "step_up_passed"
    assert AuditEvent.objects.filter(action="signin.totp_enroll").count() == 1


def test_scores_add_up_from_step_up_to_deny(li, known_client, clock_at, enrolled):
    moment = clock_at(local(2026, 12, 2, 2, 0))  # 2 a.m.
    enrolled(li)
    response = post_login(Client(), "li", ip=OTHER_IP)
    # new device 30 + new network 20 + unusual hour 25 = 75: a step-up.
    assert response["Location"] == reverse("signin:verify")
    assert LoginAttempt.objects.latest("id").score == 75
    for _ in range(3):
        post_login(Client(), "li", password="wrong", ip="192.0.2.1")
    moment.shift(dt.timedelta(seconds=1))
    # ...plus three recent wrong passwords for the name (20) = 95: denied.
    stranger = Client()
    response = post_login(stranger, "li", ip="192.0.2.99")
    assert response.status_code == 403
    attempt = LoginAttempt.objects.latest("id")
    assert (attempt.score, attempt.decision, attempt.outcome) == (95, "deny", "denied")
    assert attempt.signal_names == ["new_device", "new_network", "unusual_hour", "failures_user"]
    html = response.content.decode()
    assert 'data-code="login_denied"' in html and "unusual" not in html
    assert AuditEvent.objects.filter(action="signin.deny", object_id=str(attempt.pk)).exists()
    assert not is_logged_in(stranger)


def test_deny_with_region_signals_and_impossible_travel(li, clock_at, configure, tmp_path):
    xdb = build_xdb(
        tmp_path / "ip.xdb",
        [
            ("198.51.100.0", "198.51.100.255", "中国|0|上海|上海市|电信"),
            ("203.0.113.0", "203.0.113.255", "中国|0|广东省|广州市|联通"),
        ],
    )
    configure(ipdb_path=str(xdb))
    moment = clock_at(DAY)
    client = Client()
    assert post_login(client, "li").status_code == 302
    first = LoginAttempt.objects.latest("id")
    assert (first.region, first.latitude) == ("上海", 31.23)
    client.post(reverse("logout"))
    moment.shift(dt.timedelta(minutes=30))
    response = post_login(client, "li", ip=OTHER_IP)
    assert response.status_code == 403
    html = response.content.decode()
    assert "impossible" not in html and "广东" not in html  # no detail leaks
    attempt = LoginAttempt.objects.latest("id")
    assert attempt.signal_names == ["new_network", "new_region", "impossible_travel"]
    assert attempt.region == "广东省" and attempt.decision == "deny"
    travel = attempt.signals[2]["detail"]
    assert travel["from"] == "上海" and travel["km"] > 1000
    event = AuditEvent.objects.get(action="signin.deny")
    assert event.changes["score"] == [None, 110]
    assert not is_logged_in(client)


def test_tenants_are_recorded_but_never_stepped_up(org, clock_at):
    clock_at(local(2026, 12, 2, 3, 0))
    tenant = make_tenant(CustomerFactory(organization=org), username="tenant1")
    client = Client()
    assert post_login(client, "tenant1").status_code == 302
    attempt = LoginAttempt.objects.get(user=tenant)
    assert attempt.signal_names == ["unusual_hour"] and attempt.decision == "allow"


# Progressive delays --------------------------------------------------------------------------


def test_wrong_passwords_add_a_growing_wait(li, clock_at):
    moment = clock_at(DAY)
    client = Client()
    for _ in range(3):
        response = post_login(client, "li", password="nope")
        assert response.status_code == 200 and "form-errors" in response.content.decode()
    # Third failure: 1 second. An attempt inside the window is refused, even the right one.
    refused = post_login(client, "li")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert 'data-code="too_many_attempts"' in refused.content.decode()
    assert not is_logged_in(client)
    moment.shift(dt.timedelta(seconds=1))
    assert post_login(client, "li", password="nope").status_code == 200  # 4th: 2 s
    assert post_login(client, "li", password="nope")["Retry-After"] == "2"
    moment.shift(dt.timedelta(seconds=2))
    response = post_login(client, "li")
    assert response.status_code == 302 and is_logged_in(client)
    outcomes = list(LoginAttempt.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["bad_password"] * 3 + [
        "throttled",
        "bad_password",
        "throttled",
        "logged_in",
    ]
    # With 4 recent failures for the name, the failure-velocity signal was part of the decision.
    assert LoginAttempt.objects.latest("id").signal_names == ["failures_user"]


def test_the_wait_is_capped_and_failures_age_out(li, clock_at):
    moment = clock_at(DAY)
    client = Client()
    for _ in range(12):
        post_login(client, "li", password="nope")
        moment.shift(dt.timedelta(seconds=61))
    response = post_login(client, "li", password="nope")
    assert response.status_code == 200  # the wait had passed: this counted as a failure
    refused = post_login(client, "li")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    moment.shift(dt.timedelta(minutes=16))  # outside the 15-minute window: nothing left
    assert services.retry_after(username="li", ip=HOME_IP, device_id=None) == 0


def test_no_permanent_lockout_for_the_victim_on_a_known_device(li, known_client, clock_at):
    moment = clock_at(DAY)
    attacker = Client()
    for _ in range(8):
        post_login(attacker, "LI", password="guess", ip="192.0.2.66")  # names match any case
        moment.shift(dt.timedelta(seconds=0.2))
    assert post_login(attacker, "li", ip="192.0.2.66").status_code == 429
    # The victim, on the browser they used before, is not held back by the guessing.
    response = post_login(known_client, "li", ip=HOME_IP)
    assert response.status_code == 302 and is_logged_in(known_client)


def test_no_permanent_lockout_on_a_new_device_after_the_wait(org, clock_at):
    make_user(org, "finance", username="wang")
    moment = clock_at(DAY)
    attacker = Client()
    for _ in range(5):
        post_login(attacker, "wang", password="guess", ip="192.0.2.66")
    victim = Client()
    refused = post_login(victim, "wang", ip=HOME_IP)
    assert refused.status_code == 429
    moment.shift(dt.timedelta(seconds=int(refused["Retry-After"])))
    response = post_login(victim, "wang", ip=HOME_IP)
    assert response.status_code == 302 and is_logged_in(victim)


def test_failures_from_one_ip_delay_every_name_from_it(org, li, clock_at):
    clock_at(DAY)
    for n in range(10):
        post_login(Client(), f"user{n}", password="x", ip="192.0.2.10")
    assert post_login(Client(), "li", ip="192.0.2.10").status_code == 429
    assert post_login(Client(), "li", ip="192.0.2.11").status_code == 302


def test_login_page_in_chinese_and_english_with_the_delay_message(li, clock_at):
    clock_at(DAY)
    client = Client()
    page = client.get(reverse("login")).content.decode()
    assert "登录安租" in page
    for _ in range(3):
        post_login(client, "li", password="nope")
    assert "尝试失败次数过多" in post_login(client, "li").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = post_login(client, "li").content.decode()
    assert "Log in to Anzu" in html and "Too many failed attempts. Wait 1 second" in html


def test_authenticated_visitors_are_sent_on(li):
    client = Client()
    client.force_login(li)
    assert client.get(reverse("login"))["Location"] == reverse("home")


def test_one_password_check_at_a_time_per_user_name(li, clock_at):
    clock_at(DAY)
    slot = services.claim_attempt("LI")  # a check of the same name is running elsewhere
    assert slot is not None
    assert services.claim_attempt("li") is None
    refused = post_login(Client(), "li")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert post_login(Client(), "wang", password="x").status_code == 200  # other names go on
    services.release_attempt(slot)
    assert post_login(Client(), "li").status_code == 302
