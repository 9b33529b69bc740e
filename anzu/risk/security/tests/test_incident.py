"""The field's incident, replayed end to end.

A departed employee (王, account ``wang``) wants a second lease on a unit that is already let.
At 2 a.m., from another province, they try every road they still have — and are refused four
times over, each refusal leaving its trace:

(a) their own account: the HR system's offboarding webhook froze it at 01:50; the old session
    and the old API token fail, and the password no longer opens a session;
(b) a colleague's password: the login risk engine denies a login from a new device on a new
    network in another region at night;
(c) the colleague's still-open office session: the lease overlapping the occupied unit is
    refused by the no-overlap rule;
(d) the same session, without overlap: the lease only becomes a pending approval request, which
    its maker cannot approve, and a checker rejects.

Afterwards no lease was written, the shadow-lease report shows nothing new, the security
dashboard counts the interceptions, and the audit log holding the evidence verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from anzu.common.testing import PASSWORD, lease_data, make_user
from anzu.core import tokens
from anzu.core.models import AuditEvent
from anzu.leasing import services as leasing
from anzu.leasing.models import Lease
from anzu.risk import auditlog
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as
from anzu.risk.identity.models import AccountState
from anzu.risk.models import LogEntry
from anzu.risk.security import selectors
from anzu.risk.signin import ipdb
from anzu.risk.signin.config import SigninConfig
from anzu.risk.signin.models import LoginAttempt
from anzu.risk.signin.tests.xdb_writer import build_xdb

from .conftest import local

pytestmark = pytest.mark.django_db

SECRET = "incident-hr-webhook-secret-0123456789abcdef"
OFFICE_IP = "198.51.100.7"  # 上海
REMOTE_IP = "203.0.113.50"  # 广东省
DAYTIME = local(2026, 12, 1, 10, 0)  # Tuesday
FROZEN_AT = local(2026, 12, 2, 1, 50)  # Wednesday night
NIGHT = local(2026, 12, 2, 2, 0)


@pytest.fixture(autouse=True)
def _environment(settings: Any, tmp_path: Any) -> Any:
    settings.HR_WEBHOOK_SECRET = SECRET
    xdb = build_xdb(
        tmp_path / "ip.xdb",
        [
            ("198.51.100.0", "198.51.100.255", "中国|0|上海|上海市|电信"),
            ("203.0.113.0", "203.0.113.255", "中国|0|广东省|广州市|联通"),
        ],
    )
    settings.SIGNIN = SigninConfig(ipdb_path=str(xdb))
    ipdb.forget_readers()
    cache.clear()
    yield
    ipdb.forget_readers()
    cache.clear()


def login(client: Client, username: str, ip: str) -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=ip
    )


def hr_offboarding(payload: dict[str, Any]) -> Any:
    from anzu.common import clock

    body = json.dumps(payload).encode()
    ts = str(int(clock.now().timestamp()))
    sig = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return Client().post(
        "/api/v1/hr/offboarding",
        data=body,
        content_type="application/json",
        headers={"X-Anzu-Timestamp": ts, "X-Anzu-Signature": sig},
    )


def events_since(mark: int, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=mark, **filters).order_by("id"))


def test_the_shadow_lease_is_refused_four_times_over(org, portfolio, auditor):
    unit, customer = portfolio["u1"], portfolio["customer"]
    wang = make_user(org, "management", username="wang", email="wang@example.com")
    zhao = make_user(org, "management", username="zhao")
    zhou = make_user(org, "admin", username="zhou")

    # --- Daytime: the unit is let through the approvals; both staff work from the office. ----
    with time_machine.travel(DAYTIME, tick=False) as moment:
        occupant = approve_as(leasing.lease_create(by=zhao, data=lease_data(unit, customer)), zhou)
        leasing.lease_submit(lease=occupant, by=zhao)
        occupant = approve_as(leasing.lease_activate(lease=occupant, by=zhao), zhou)
        assert occupant.status == "active"
        wang_browser, zhao_browser = Client(), Client()
        assert login(wang_browser, "wang", OFFICE_IP).status_code == 302
        assert login(zhao_browser, "zhao", OFFICE_IP).status_code == 302
        _token, wang_token = tokens.token_create(user=wang, name="laptop")
        assert (
            Client().get("/api/v1/leases", HTTP_AUTHORIZATION=f"Bearer {wang_token}").status_code
            == 200
        )
        moment.move_to(DAYTIME + dt.timedelta(hours=1))
    leases_before = Lease.objects.count()
    second_lease = lease_data(unit, customer, start_date="2026-12-15", end_date="2027-12-14")

    # --- 01:50: HR reports the departure; the account is frozen at once. --------------------
    with time_machine.travel(FROZEN_AT, tick=False):
        mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = hr_offboarding({"event_id": "hr-2026-1202", "username": "wang"})
        assert response.status_code == 200 and response.json()["status"] == "frozen"
    (freeze,) = events_since(mark, action="account.freeze")
    assert freeze.object_id == str(wang.pk) and freeze.actor_id is None
    assert freeze.changes["source"] == [None, "hr_webhook"]
    assert freeze.changes["tokens_revoked"] == [None, 1]
    assert freeze.changes["sessions_deleted"][1] >= 1
    assert AccountState.objects.get(user=wang).frozen_at == FROZEN_AT

    with time_machine.travel(NIGHT, tick=False) as moment:
        mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

        # (a) The frozen account: old session, old token and the password all fail.
        assert (
            wang_browser.post(
                "/api/v1/leases", data=second_lease, content_type="application/json"
            ).status_code
            == 401
        )
        page = wang_browser.get(reverse("leasing:lease_create"))
        assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
        by_token = Client().post(
            "/api/v1/leases",
            data=second_lease,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {wang_token}",
        )
        assert by_token.status_code == 401 and by_token.json()["code"] == "unauthenticated"
        attacker = Client()
        assert login(attacker, "wang", REMOTE_IP).status_code == 200  # the login form again
        assert not attacker.session.get("_auth_user_id")
        refused = LoginAttempt.objects.filter(user=wang, outcome="bad_password").get()
        assert refused.at == NIGHT and refused.ip == REMOTE_IP
        assert LoginAttempt.objects.filter(kind="token", outcome="bad_token").count() == 1
        stale = events_since(mark, action="signin.revoked_credential")
        assert [e.changes["credential"][1] for e in stale] == ["session", "api_token"]
        assert {e.actor_id for e in stale} == {wang.pk}
        (frozen_use,) = events_since(mark, action="signin.frozen_account")
        assert frozen_use.actor_id == wang.pk and frozen_use.object_id == str(refused.pk)

        # (b) The colleague's password from another province at 2 a.m.: denied by login risk.
        moment.shift(dt.timedelta(minutes=2))
        denied = login(Client(), "zhao", REMOTE_IP)
        assert denied.status_code == 403
        decision = LoginAttempt.objects.filter(user=zhao).latest("id")
        assert (decision.decision, decision.outcome, decision.region) == (
            "deny",
            "denied",
            "广东省",
        )
        assert decision.signal_names == ["new_device", "new_network", "new_region", "unusual_hour"]
        (deny_event,) = events_since(mark, action="signin.deny")
        assert deny_event.object_id == str(decision.pk) and deny_event.actor_id == zhao.pk
        assert deny_event.changes["score"] == [None, 105]

        # (c) The colleague's still-open office session: the overlap is refused.
        moment.shift(dt.timedelta(minutes=2))
        overlap = zhao_browser.post(
            "/api/v1/leases", data=second_lease, content_type="application/json"
        )
        assert overlap.status_code == 409
        body = overlap.json()
        assert (body["code"], body["field"]) == ("lease_overlap", "start_date")
        assert body["conflicting_lease"]["code"] == occupant.code
        assert not ApprovalRequest.objects.filter(args__data__start_date="2026-12-15").exists()
        (refused_lease,) = events_since(mark, action="lease.create_refused")
        assert refused_lease.actor_id == zhao.pk
        assert refused_lease.changes["conflicting_lease"] == [None, occupant.code]

        # (d) Without overlap: only a pending approval request, which its maker cannot approve.
        moment.shift(dt.timedelta(minutes=2))
        after = lease_data(unit, customer, start_date="2027-01-01", end_date="2027-12-31")
        held = zhao_browser.post("/api/v1/leases", data=after, content_type="application/json")
        assert held.status_code == 202
        request_id = held.json()["id"]
        request = ApprovalRequest.objects.get(pk=request_id)
        assert (request.action, request.status, request.maker_id) == (
            "lease.create",
            "pending",
            zhao.pk,
        )
        self_approval = zhao_browser.post(
            f"/api/v1/approvals/{request_id}/approve", data={}, content_type="application/json"
        )
        assert self_approval.status_code == 403
        assert self_approval.json()["message"] == (
            "You made this request; another person must decide it."
        )
        request.refresh_from_db()
        assert request.status == "pending" and not request.decisions.exists()

    # The checker reads the request in the morning and rejects it.
    with time_machine.travel(local(2026, 12, 2, 9, 0), tick=False):
        checker = Client()
        checker.force_login(zhou)
        rejected = checker.post(
            f"/api/v1/approvals/{request_id}/reject",
            data={"reason": "凌晨异地提交，单元已出租"},
            content_type="application/json",
        )
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

    # --- Nothing was written: no lease, and no lease event in the audit log. ----------------
    assert Lease.objects.count() == leases_before
    assert [e.action for e in events_since(mark, action__startswith="lease.")] == [
        "lease.create_refused"
    ]
    night_events = [(e.action, e.actor_id) for e in events_since(mark)]
    assert night_events == [
        ("signin.revoked_credential", wang.pk),
        ("signin.revoked_credential", wang.pk),
        ("signin.frozen_account", wang.pk),
        ("signin.deny", zhao.pk),
        ("lease.create_refused", zhao.pk),
        ("approval.request", zhao.pk),
        ("approval.reject", zhou.pk),
    ]
    held_event = AuditEvent.objects.get(action="approval.request", object_id=str(request_id))
    assert held_event.changes["args"]["data"]["start_date"] == "2027-01-01"

    # --- Every piece of evidence sits in the verifiable log, which verifies. ----------------
    auditlog.integrate()
    auditlog.checkpoint(force=True)
    for event in (freeze, frozen_use, deny_event, refused_lease, held_event):
        assert LogEntry.objects.filter(event_id=event.pk).exists()
    report = auditlog.verify_database()
    assert report.ok, report.problems

    # --- The security overview tells the story. --------------------------------------------
    with time_machine.travel(local(2026, 12, 2, 10, 0), tick=False):
        shadow = selectors.shadow_leases(auditor, since=dt.date(2026, 12, 1))
        data = selectors.dashboard(auditor, since=dt.date(2026, 12, 2), until=dt.date(2026, 12, 2))
    assert shadow == []  # the occupant went through its approvals in working hours
    totals = {s["kind"]: s["total"] for s in data["series"]}
    assert totals["deny"] == 1
    assert totals["frozen_attempt"] == 1
    assert totals["approval_held"] == 1
    assert totals["approval_rejected"] == 1
    assert data["frozen_accounts"] == 1 and data["pending_approvals"] == 0
