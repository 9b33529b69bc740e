"""The shadow-lease report's activation step: who activated (``activated_by``) and when
(``activated_at``), not the creator, drive the activation's reasons."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from anzu.common.testing import make_user
from anzu.leasing import services as leasing
from anzu.leasing.models import Lease
from anzu.risk.approvals.testing import approve_as
from anzu.risk.identity.choices import Source
from anzu.risk.identity.services import account_freeze
from anzu.risk.security import presenters, selectors
from anzu.risk.signin.models import LoginAttempt

from .conftest import approved_lease, local

pytestmark = pytest.mark.django_db

TUESDAY = local(2026, 12, 1, 10, 0)
PERIOD = {"since": dt.date(2026, 11, 1), "until": dt.date(2026, 12, 31)}


def report(user, **kwargs):
    with time_machine.travel(local(2026, 12, 20, 12, 0), tick=False):
        return selectors.shadow_leases(user, **{**PERIOD, **kwargs})


@pytest.fixture
def activator(org):
    return make_user(org, "management", username="zhao")


def activated_lease(portfolio, *, maker, activator, checker, at):
    """Created by ``maker`` through its approval; activated by ``activator`` at ``at``."""
    lease = approved_lease(
        portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY
    )
    with time_machine.travel(at, tick=False):
        leasing.lease_submit(lease=lease, by=maker)
        done = approve_as(leasing.lease_activate(lease=lease, by=activator), checker)
    assert isinstance(done, Lease) and done.status == "active"
    assert (done.activated_by_id, done.activated_at) == (activator.pk, at)
    return done


def test_an_activation_by_an_account_frozen_later_is_listed(
    portfolio, maker, checker, auditor, activator
):
    lease = activated_lease(
        portfolio, maker=maker, activator=activator, checker=checker, at=TUESDAY
    )
    assert report(auditor) == []
    with time_machine.travel(local(2026, 12, 10, 18, 0), tick=False):
        account_freeze(user=activator, reason="离职", source=Source.HR_WEBHOOK, by=None)
    (row,) = report(auditor)
    assert (row.lease_id, row.created_by, row.activated_by) == (lease.pk, "wang", "zhao")
    assert row.reason_codes == ["frozen_account"]
    assert row.reasons[0]["detail"] == {
        "accounts": [
            {
                "step": "activate",
                "username": "zhao",
                "frozen_at": local(2026, 12, 10, 18, 0).isoformat(),
                "source": "hr_webhook",
                "source_label": str(dict(Source.choices)["hr_webhook"]),
                "while_frozen": False,
            }
        ]
    }
    with translation.override("en"):
        (english_row,) = report(auditor)
        text = presenters.shadow_lease(english_row)["reasons"][0]["text"]
    assert text == (
        "Activation by zhao, whose account was frozen later, on 2026-12-10 18:00 (HR offboarding)"
    )


def test_a_frozen_creator_does_not_make_the_activation_frozen(
    portfolio, maker, checker, auditor, activator
):
    activated_lease(portfolio, maker=maker, activator=activator, checker=checker, at=TUESDAY)
    with time_machine.travel(local(2026, 12, 10, 18, 0), tick=False):
        account_freeze(user=maker, reason="离职", source=Source.SCIM, by=None)
    (row,) = report(auditor)
    steps = [a["step"] for a in row.reasons[0]["detail"]["accounts"]]
    assert steps == ["create"]


def test_an_activation_while_the_activator_was_frozen(portfolio, maker, auditor, activator):
    with time_machine.travel(local(2026, 12, 1, 9, 0), tick=False):
        account_freeze(user=activator, reason="离职", source=Source.SCIM, by=None)
    checker = make_user(maker.organization, "admin", username="zhou")
    lease = approved_lease(
        portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY
    )
    # Written directly (an import, a bypass): activated by the frozen account.
    Lease.objects.filter(pk=lease.pk).update(
        status="active", activated_at=TUESDAY, activated_by=activator
    )
    (row,) = report(auditor)
    assert row.reason_codes == ["no_approval", "frozen_account"]
    assert row.reasons[0]["detail"] == {"steps": ["activate"]}
    (account,) = row.reasons[1]["detail"]["accounts"]
    assert (account["step"], account["while_frozen"]) == ("activate", True)


def test_an_activation_approval_asked_by_someone_else_does_not_count(
    portfolio, maker, checker, auditor, activator
):
    lease = activated_lease(
        portfolio, maker=maker, activator=activator, checker=checker, at=TUESDAY
    )
    Lease.objects.filter(pk=lease.pk).update(activated_by=maker)
    (row,) = report(auditor)
    assert row.reasons == [{"code": "no_approval", "detail": {"steps": ["activate"]}}]


def test_activation_outside_working_hours_uses_activated_at(
    portfolio, maker, checker, auditor, activator
):
    night = local(2026, 12, 2, 23, 30)
    activated_lease(portfolio, maker=maker, activator=activator, checker=checker, at=night)
    (row,) = report(auditor)
    assert row.reasons == [
        {"code": "off_hours", "detail": {"times": [{"step": "activate", "at": night.isoformat()}]}}
    ]


def test_a_risky_login_of_the_activator_before_the_activation(
    portfolio, maker, checker, auditor, activator
):
    moment = local(2026, 12, 3, 11, 0)
    LoginAttempt.objects.create(
        organization=activator.organization,
        user=activator,
        username=activator.username,
        decision="deny",
        outcome="denied",
        score=95,
        at=moment - dt.timedelta(hours=2),
    )
    activated_lease(portfolio, maker=maker, activator=activator, checker=checker, at=moment)
    (row,) = report(auditor)
    assert row.reason_codes == ["risky_login"]
    (hit,) = row.reasons[0]["detail"]["decisions"]
    assert (hit["step"], hit["username"], hit["decision"]) == ("activate", "zhao", "deny")
    assert hit["at"] == (moment - dt.timedelta(hours=2)).isoformat()
