"""The demo's risk control and lease signing: login history, the frozen former employee,
approval requests and lease contracts, seeded through the services (anzu/demo/risk.py,
anzu/demo/signing.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from anzu.core.models import User
from anzu.demo import seeding
from anzu.integrations.esign.config import EsignConfig
from anzu.leasing.agreements.choices import AgreementStatus
from anzu.leasing.agreements.models import LeaseAgreement
from anzu.risk import auditlog
from anzu.risk.approvals import selectors as approval_selectors
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.identity.choices import AccountStatus
from anzu.risk.security import selectors as security_selectors
from anzu.risk.signin import selectors as signin_selectors
from anzu.risk.signin.models import KnownDevice, LoginAttempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(
    db: Any, frozen: Any, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> seeding.SeedResult:
    settings.ANZU_HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TSA_URL = ""
    settings.SIGNING_P12_DIR = ""
    settings.ESIGN = EsignConfig(provider="sandbox", retry_backoff_seconds=0.0)
    # The lease contracts are queued for the worker on commit (Huey runs inline in tests).
    with django_capture_on_commit_callbacks(execute=True):
        return seeding.seed(units=300, months=12, seed=5, slug="demo", maintenance=False)


def _user(role: str) -> User:
    return User.objects.get(username=f"demo-{role}")


def test_approvals_pending_executed_and_rejected(seeded):
    requests = ApprovalRequest.objects.filter(organization=seeded.organization)
    assert seeded.counts["approval_requests"] == requests.count() == 4
    rows = sorted((r.action, r.status) for r in requests)
    assert rows == [
        ("billing.deposit_refund", "pending"),
        ("billing.write_off", "rejected"),
        ("lease.activate", "pending"),
        ("lease.create", "executed"),
    ]
    for request in requests:
        checkers = set(request.decisions.values_list("checker_id", flat=True))
        assert request.maker_id not in checkers
    rejected = requests.get(status="rejected")
    assert rejected.reason and rejected.decisions.get().checker == _user("management")
    refund = requests.get(action="billing.deposit_refund")
    assert refund.maker == _user("finance") and refund.amount > 0
    activation = requests.get(action="lease.activate")
    assert activation.maker == _user("management")
    # The lease's creator may not decide its activation; the administrator can.
    assert activation.excluded_checkers == [User.objects.get(username="demo-former-01").pk]
    assert [r.pk for r in approval_selectors.pending_for(_user("admin"))] == sorted(
        r.pk for r in requests.filter(status="pending")
    )
    assert approval_selectors.pending_count(_user("management")) == 1  # the refund


def test_login_history_decisions_and_signals(seeded):
    org = seeded.organization
    decisions = signin_selectors.decisions_for_user(_user("admin"))
    assert decisions.filter(decision="allow").count() >= 40
    step_ups = decisions.filter(decision="step_up")
    assert step_ups.count() == 3
    assert {a.outcome for a in step_ups} == {"step_up_passed"}
    assert all({"new_device", "new_network"} <= set(a.signal_names) for a in step_ups)
    denied = decisions.get(decision="deny")
    assert denied.username == "demo-staff-03"
    assert denied.at.astimezone(security_selectors.tz_of(org)).hour == 2
    assert set(denied.signal_names) >= {"new_device", "new_network", "unusual_hour"}
    assert denied.score >= 90
    # Visitor logins keep no known devices: their first login from any browser is allowed.
    visitors = [login.username for login in seeded.logins]
    assert not KnownDevice.objects.filter(user__username__in=visitors).exists()
    assert not LoginAttempt.objects.filter(user__username__in=visitors).exists()


def test_former_employee_frozen_and_shadow_lease_reported(seeded):
    former = User.objects.get(username="demo-former-01")
    assert former.is_active is False
    assert former.account_state.status == AccountStatus.FROZEN
    rows = security_selectors.shadow_leases(_user("management"), reason="frozen_account")
    assert len(rows) == 1
    assert rows[0].created_by == "demo-former-01"
    assert {"frozen_account", "risky_login"} <= set(rows[0].reason_codes)
    data = security_selectors.dashboard(_user("management"))
    totals = {s["kind"]: s["total"] for s in data["series"]}
    assert totals["deny"] == 1 and totals["step_up"] == 3 and totals["frozen_attempt"] == 1
    assert totals["approval_held"] == 4 and totals["approval_rejected"] == 1
    assert data["pending_approvals"] == 2 and data["frozen_accounts"] == 1


def test_lease_agreements_signed_and_awaiting_the_tenant(seeded):
    agreements = LeaseAgreement.objects.filter(organization=seeded.organization)
    assert sorted(agreements.values_list("status", flat=True)) == [
        AgreementStatus.SENT_FOR_SIGNATURE,
        AgreementStatus.SIGNED,
    ]
    signed = agreements.get(status=AgreementStatus.SIGNED)
    assert signed.signed_document is not None and signed.document is not None
    waiting = agreements.get(status=AgreementStatus.SENT_FOR_SIGNATURE)
    assert waiting.lease.customer_id == _user("tenant").customer_id
    assert waiting.org_signed_at is not None and waiting.flow_id.startswith("SANDBOX-")


def test_the_audit_log_still_verifies(seeded):
    auditlog.integrate()
    report = auditlog.verify_database()
    assert report.ok, report.as_dict()


def test_pages_show_the_seeded_items(seeded):
    client = Client()
    client.force_login(_user("management"))
    page = client.get("/risk/security/shadow-leases/?reason=frozen_account")
    assert page.status_code == 200
    assert "demo-former-01" in page.content.decode()
    decisions = client.get("/security/decisions/?decision=deny")
    assert decisions.status_code == 200
    assert "demo-staff-03" in decisions.content.decode()
    admin = Client()
    admin.force_login(_user("admin"))
    pending = admin.get("/approvals/")
    assert pending.status_code == 200
    activation = ApprovalRequest.objects.get(action="lease.activate")
    assert f"/approvals/{activation.pk}/" in pending.content.decode()


def test_same_seed_gives_the_same_risk_history(seeded):
    def shape(slug: str) -> list[tuple[Any, ...]]:
        return list(
            LoginAttempt.objects.filter(organization__slug=slug)
            .order_by("at", "id")
            .values_list("username", "at", "ip", "decision", "outcome", "score")
        )

    seeding.seed(units=300, months=12, seed=5, slug="again", maintenance=False)
    mine = [(u.replace("demo-", ""), *rest) for u, *rest in shape("demo")]
    again = [(u.replace("again-", ""), *rest) for u, *rest in shape("again")]
    assert mine == again and len(mine) > 40
