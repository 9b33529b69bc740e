from __future__ import annotations

import datetime as dt

import pytest

from anzu.common import clock
from anzu.common.testing import make_tenant, make_user
from anzu.core.models import ApiToken, User
from anzu.risk.identity import selectors, services
from anzu.risk.identity.dormancy import accounts_freeze_dormant
from anzu.risk.identity.models import AccountEvent
from anzu.risk.identity.tests.conftest import api_token

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def set_times(user: User, *, joined: dt.datetime, last_login: dt.datetime | None) -> None:
    User.objects.filter(pk=user.pk).update(date_joined=joined, last_login=last_login)


def test_dormant_accounts_are_frozen_daily(org, frozen_time, portfolio):
    now = clock.now()
    stale = make_user(org, "finance", username="stale")
    recent = make_user(org, "finance", username="recent")
    never = make_user(org, "finance", username="never")
    new = make_user(org, "finance", username="new")
    service = make_user(org, "finance", username="robot")
    token_user = make_user(org, "finance", username="token-user")
    tenant = make_tenant(portfolio["customer"])
    set_times(stale, joined=now - 400 * DAY, last_login=now - 91 * DAY)
    set_times(recent, joined=now - 400 * DAY, last_login=now - 89 * DAY)
    set_times(never, joined=now - 91 * DAY, last_login=None)
    set_times(new, joined=now - 10 * DAY, last_login=None)
    set_times(service, joined=now - 400 * DAY, last_login=None)
    set_times(token_user, joined=now - 400 * DAY, last_login=now - 200 * DAY)
    set_times(tenant, joined=now - 400 * DAY, last_login=None)
    api_token(token_user)
    ApiToken.objects.filter(user=token_user).update(last_used_at=now - 3 * DAY)
    admin = make_user(org, "admin", username="boss")
    services.account_profile_update(user=service, by=admin, employee_id="", service_account=True)

    frozen = accounts_freeze_dormant()
    assert sorted(frozen) == sorted([stale.pk, never.pk])
    states = dict(User.objects.values_list("username", "is_active"))
    assert states["stale"] is False and states["never"] is False
    assert all(states[n] for n in ("recent", "new", "robot", "token-user", "boss"))
    assert states[tenant.username] is True
    event = AccountEvent.objects.get(user=stale)
    assert event.source == "dormant" and "90" in event.reason
    assert accounts_freeze_dormant() == []  # a second run changes nothing
    assert AccountEvent.objects.count() == 2


def test_days_come_from_the_setting(org, frozen_time, settings):
    settings.DORMANT_DAYS = 30
    user = make_user(org, "legal", username="quiet")
    set_times(user, joined=clock.now() - 100 * DAY, last_login=clock.now() - 31 * DAY)
    assert accounts_freeze_dormant() == [user.pk]


def test_the_periodic_task_runs_the_sweep(org, frozen_time):
    from anzu.risk.identity.tasks import freeze_dormant_accounts

    user = make_user(org, "legal", username="quiet")
    set_times(user, joined=clock.now() - 100 * DAY, last_login=None)
    assert freeze_dormant_accounts.call_local() == [user.pk]


def test_dormant_soon_in_the_overview(org, frozen_time):
    user = make_user(org, "legal", username="quiet")
    set_times(user, joined=clock.now() - 100 * DAY, last_login=clock.now() - 80 * DAY)
    row = selectors.account_row(selectors.accounts_overview(org.pk).get(pk=user.pk))
    assert row["status"] == "dormant_soon"
    set_times(user, joined=clock.now() - 100 * DAY, last_login=clock.now() - 10 * DAY)
    row = selectors.account_row(selectors.accounts_overview(org.pk).get(pk=user.pk))
    assert row["status"] == "active"
