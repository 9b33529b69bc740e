"""Retention of login-risk rows: old rows go in batches, recent rows and rows an audit event
names stay, and a second run deletes nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest
import time_machine
from django.db import transaction

from anzu.common.testing import make_user
from anzu.core import audit
from anzu.core.models import AuditEvent
from anzu.risk.signin.models import LoginAttempt
from anzu.risk.signin.retention import login_attempts_purge
from anzu.risk.signin.tasks import purge_old_login_attempts

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def attempt(user: Any, days_ago: float, outcome: str = "bad_password") -> LoginAttempt:
    return LoginAttempt.objects.create(
        organization=user.organization if user else None,
        user=user,
        username=user.username if user else "nobody",
        outcome=outcome,
        at=NOW - dt.timedelta(days=days_ago),
    )


def test_old_rows_go_recent_and_referenced_rows_stay(org, settings):
    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 400
    user = make_user(org, "management", username="wang")
    old = [attempt(user, 401 + i) for i in range(5)]
    anonymous_old = attempt(None, 500)
    edge = attempt(user, 399.9)
    recent = attempt(user, 3)
    referenced = attempt(user, 700, outcome="denied")
    with transaction.atomic():
        audit.record(
            action="signin.deny",
            obj=referenced,
            organization=org.pk,
            actor=user,
            changes={"score": [None, 95]},
        )
    with time_machine.travel(NOW, tick=False):
        deleted = login_attempts_purge(batch_size=2)
    assert deleted == len(old) + 1
    left = set(LoginAttempt.objects.values_list("pk", flat=True))
    assert left == {edge.pk, recent.pk, referenced.pk}
    assert not LoginAttempt.objects.filter(pk=anonymous_old.pk).exists()
    summary = AuditEvent.objects.get(action="signin.attempts_purge")
    assert summary.changes["deleted"] == [None, 6]
    with time_machine.travel(NOW, tick=False):
        assert login_attempts_purge(batch_size=2) == 0
    assert AuditEvent.objects.filter(action="signin.attempts_purge").count() == 1
    assert set(LoginAttempt.objects.values_list("pk", flat=True)) == left


def test_an_audit_event_of_another_organization_does_not_keep_a_row(org, settings):
    from anzu.common.testing import OrganizationFactory

    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 400
    user = make_user(org, "management", username="wang")
    old = attempt(user, 450)
    other = OrganizationFactory()
    with transaction.atomic():
        audit.record(
            action="signin.deny",
            object_type="signin.loginattempt",
            object_id=old.pk,
            organization=other.pk,
            actor=None,
        )
    with time_machine.travel(NOW, tick=False):
        assert login_attempts_purge() == 1
    assert not LoginAttempt.objects.exists()


def test_the_retention_setting_is_followed_by_the_daily_task(org, settings):
    user = make_user(org, "management", username="wang")
    attempt(user, 450)
    kept = attempt(user, 350)
    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 500
    with time_machine.travel(NOW, tick=False):
        assert purge_old_login_attempts.call_local() == 0
    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 400
    with time_machine.travel(NOW, tick=False):
        assert purge_old_login_attempts.call_local() == 1
    assert list(LoginAttempt.objects.values_list("pk", flat=True)) == [kept.pk]


def test_nothing_to_purge_writes_no_event(org):
    with time_machine.travel(NOW, tick=False):
        assert login_attempts_purge() == 0
    assert not AuditEvent.objects.filter(action="signin.attempts_purge").exists()


@pytest.mark.parametrize(("value", "ok"), [("395", False), ("396", True)])
def test_the_retention_setting_is_parsed_strictly(value, ok, tmp_path):
    env = {**os.environ, "ANZU_LOGIN_ATTEMPT_RETENTION_DAYS": value, "ANZU_HOME": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "anzu.settings"
    code = "import django; django.setup(); from django.conf import settings; print(settings.LOGIN_ATTEMPT_RETENTION_DAYS)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    if ok:
        assert done.returncode == 0 and done.stdout.strip() == value
    else:
        assert done.returncode != 0
        assert "ANZU_LOGIN_ATTEMPT_RETENTION_DAYS" in done.stderr
