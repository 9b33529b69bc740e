"""The security dashboard: interceptions per day and kind from the three modules' records, the
pending-approval and frozen-account counts, the audit log's status, pages, API and access."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from anzu.common.testing import lease_data, make_tenant, make_user
from anzu.core.models import AuditEvent
from anzu.leasing import services as leasing
from anzu.risk import auditlog
from anzu.risk.approvals import services as approvals
from anzu.risk.identity.choices import Source
from anzu.risk.identity.services import account_freeze
from anzu.risk.security import selectors
from anzu.risk.signin.models import LoginAttempt

from .conftest import client_for, english, local

pytestmark = pytest.mark.django_db

NOW = local(2026, 12, 20, 12, 0)
DAY1, DAY2 = dt.date(2026, 12, 18), dt.date(2026, 12, 19)


def attempt(org, at, **fields):
    return LoginAttempt.objects.create(organization=org, at=at, **fields)


@pytest.fixture
def records(org, portfolio, maker, checker, auditor):
    """Two days of interceptions of every kind, plus another organization's noise."""
    leaver = make_user(org, "management", username="leaver")
    with time_machine.travel(local(2026, 12, 18, 9, 0), tick=False):
        account_freeze(user=leaver, reason="离职", source=Source.HR_WEBHOOK, by=None)
    day1 = local(2026, 12, 18, 23, 30)  # late evening: still the 18th in Shanghai
    day2 = local(2026, 12, 19, 0, 30)  # the 19th locally, the 18th in UTC
    attempt(org, day1, user=maker, kind="login", decision="deny", outcome="denied")
    attempt(org, day2, user=maker, kind="login", decision="deny", outcome="denied")
    attempt(org, day2, user=maker, kind="login", decision="step_up", outcome="step_up_failed")
    attempt(org, day2, user=maker, kind="login", decision="allow", outcome="logged_in")
    attempt(org, day1, username="ghost", kind="login", outcome="throttled")
    attempt(org, day2, user=maker, kind="operation", decision="step_up", outcome="flagged")
    # The frozen account's password tried after the freeze, twice; and once before it.
    attempt(org, day1, user=leaver, username="leaver", kind="login", outcome="bad_password")
    attempt(org, day2, user=leaver, username="leaver", kind="login", outcome="bad_password")
    attempt(
        org,
        local(2026, 12, 18, 8, 0),
        user=leaver,
        username="leaver",
        kind="login",
        outcome="bad_password",
    )
    # Guarded actions: two held for approval on day 1, one rejected on day 2.
    with time_machine.travel(local(2026, 12, 18, 10, 0), tick=False):
        first = leasing.lease_create(
            by=maker, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
        leasing.lease_create(by=maker, data=lease_data(portfolio["u2"], portfolio["customer"]))
    with time_machine.travel(local(2026, 12, 19, 10, 0), tick=False):
        approvals.request_reject(request=first, by=checker, reason="无合同原件")
    return {"leaver": leaver}


def test_interceptions_per_local_day_and_kind(org, records, other_org):
    attempt(other_org, local(2026, 12, 18, 12, 0), kind="login", decision="deny", outcome="denied")
    counts = selectors.interceptions(org, DAY1, DAY2)
    assert counts == {
        (DAY1, "deny"): 1,
        (DAY2, "deny"): 1,
        (DAY2, "step_up"): 1,
        (DAY1, "throttled"): 1,
        (DAY2, "sensitive_velocity"): 1,
        (DAY1, "frozen_attempt"): 1,
        (DAY2, "frozen_attempt"): 1,
        (DAY1, "approval_held"): 2,
        (DAY2, "approval_rejected"): 1,
    }


def test_dashboard_figures(org, records, auditor):
    with time_machine.travel(NOW, tick=False):
        data = selectors.dashboard(auditor, since=DAY1, until=DAY2)
    assert data["days"] == [DAY1, DAY2]
    totals = {s["kind"]: s["total"] for s in data["series"]}
    assert totals == {
        "deny": 2,
        "step_up": 1,
        "throttled": 1,
        "sensitive_velocity": 1,
        "frozen_attempt": 2,
        "approval_held": 2,
        "approval_rejected": 1,
        "approval_stale": 0,
    }
    assert {s["kind"]: s["counts"] for s in data["series"]}["deny"] == [1, 1]
    assert data["total"] == 10
    assert data["pending_approvals"] == 1  # one of the two requests was rejected
    assert data["frozen_accounts"] == 1
    chart = selectors.chart(data)
    assert len(chart["bars"]) == 2 and chart["peak"] == 5
    assert sum(p["n"] for b in chart["bars"] for p in b["parts"]) == 10


def test_default_period_is_the_last_30_days(auditor):
    with time_machine.travel(NOW, tick=False):
        data = selectors.dashboard(auditor)
    assert (data["since"], data["until"]) == (dt.date(2026, 11, 21), dt.date(2026, 12, 20))
    assert len(data["days"]) == 30 and data["total"] == 0


def test_audit_status_shows_the_latest_checkpoint(org, records, auditor):
    auditlog.integrate()
    cp = auditlog.checkpoint(force=True)
    assert cp is not None
    status = selectors.audit_status()
    assert status["checkpoint"]["size"] == cp.size == status["size"]
    assert status["checkpoint"]["root"] == bytes(cp.root).hex()
    assert status["checkpoint"]["signature_ok"] is True
    assert status["vkey"].startswith(cp.note.split("\n", 1)[0] + "+")
    assert status["last_verification"] is None


def test_a_forged_checkpoint_signature_shows_as_invalid(org, records):
    from anzu.risk.models import SignedCheckpoint

    auditlog.integrate()
    cp = auditlog.checkpoint(force=True)
    assert cp is not None
    forged = cp.note.replace("\n\n— ", "\n\n— x", 1)
    SignedCheckpoint.objects.create(
        size=cp.size, root=cp.root, note=forged, created_at=cp.created_at
    )
    assert selectors.audit_status()["checkpoint"]["signature_ok"] is False


# Committed transactions: on PostgreSQL the log only takes in events of finished transactions.
@pytest.mark.django_db(transaction=True)
def test_verify_now_runs_the_full_verification(org, records, auditor):
    client = client_for(auditor)
    response = client.post("/risk/security/verify/")
    assert response.status_code == 302 and response["Location"] == "/risk/security/"
    result = selectors.audit_status()["last_verification"]
    assert result["ok"] is True and result["by"] == "auditor"
    assert result["size"] == AuditEvent.objects.count()
    page = client.get("/risk/security/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "校验通过" in page and "签名有效" in page
    assert client.get("/risk/security/verify/").status_code == 405


def test_page_in_chinese_and_english(org, records, auditor, admin_user):
    with time_machine.travel(NOW, tick=False):
        client = client_for(auditor)
        zh = client.get(
            "/risk/security/?since=2026-12-18&until=2026-12-19", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        en = english(client).get("/risk/security/?since=2026-12-18&until=2026-12-19")
        bad = english(client).get("/risk/security/?since=someday")
        admin_page = client_for(admin_user).get("/risk/security/").content.decode()
    html = zh.content.decode()
    assert zh.status_code == 200 and "安全看板" in html and "冻结账号的尝试" in html
    assert "<svg" in html and html.count("<rect") == 9  # one rectangle per day and kind present
    assert 'href="/approvals/"' in html
    assert "?status=frozen" not in html  # the account list needs accounts.manage
    assert "?status=frozen" in admin_page
    assert "Security dashboard" in en.content.decode()
    assert "Frozen-account attempts" in en.content.decode()
    assert bad.status_code == 200 and 'data-field="since"' in bad.content.decode()


def test_navigation_entry(auditor, org):
    from anzu.core.navigation import menu_for

    assert "security:dashboard" in [i.url_name for i in menu_for(auditor)]
    cashier = make_user(org, "finance", username="cashier")
    assert "security:dashboard" not in [i.url_name for i in menu_for(cashier)]


def test_api_shape(org, records, auditor):
    with time_machine.travel(NOW, tick=False):
        client = client_for(auditor)
        response = client.get("/api/v1/security/dashboard?since=2026-12-18&until=2026-12-19")
        bad = client.get("/api/v1/security/dashboard?since=2026-12-19&until=2026-12-18")
        bad_date = client.get("/api/v1/security/dashboard?until=tomorrow")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "since",
        "until",
        "days",
        "series",
        "total",
        "pending_approvals",
        "frozen_accounts",
        "audit",
    }
    assert body["days"] == ["2026-12-18", "2026-12-19"]
    assert set(body["series"][0]) == {"kind", "label", "total", "counts"}
    assert set(body["audit"]) == {
        "size",
        "root",
        "pending",
        "checkpoint",
        "vkey",
        "last_verification",
    }
    assert (bad.status_code, bad.json()["field"]) == (422, "since")
    assert (bad_date.status_code, bad_date.json()["field"]) == (422, "until")


def test_access(org, portfolio):
    cashier = make_user(org, "finance", username="cashier")
    tenant = make_tenant(portfolio["customer"], username="tenant1")
    for user in (cashier, tenant):
        client = client_for(user)
        assert client.get("/risk/security/").status_code == 403
        assert client.post("/risk/security/verify/").status_code == 403
        assert client.get("/api/v1/security/dashboard").status_code == 403
    assert Client().get("/risk/security/").status_code == 302
    assert Client().get("/api/v1/security/dashboard").status_code == 401
