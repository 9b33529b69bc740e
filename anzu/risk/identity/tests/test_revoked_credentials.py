"""A frozen account's old session cookie or revoked API token leaves the audit event
``signin.revoked_credential`` (hash-only records, at most one event an hour per credential)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from anzu.core import tokens
from anzu.core.models import ApiToken, AuditEvent
from anzu.risk.identity import services
from anzu.risk.identity.models import RevokedCredential
from anzu.risk.identity.tests.conftest import T0, api_token, client_for

pytestmark = pytest.mark.django_db

ACTION = "signin.revoked_credential"
TABLE = RevokedCredential._meta.db_table


def sha(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def freeze(user: Any, by: Any) -> None:
    services.account_freeze(user=user, reason="离职", source="manual", by=by)


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=ACTION).order_by("id"))


def replay(client: Client, name: str, key: str, path: str = "/") -> Any:
    """Present ``key`` as the session cookie (the previous answer may have deleted it)."""
    client.cookies[name] = key
    return client.get(path)


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cache",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.signed_cookies",
    ],
)
def test_a_deleted_session_of_a_frozen_account_leaves_one_event_an_hour(
    employee, admin_user, settings, engine
):
    settings.SESSION_ENGINE = engine
    name = settings.SESSION_COOKIE_NAME
    with time_machine.travel(T0, tick=False):
        browser = client_for(employee)
        assert browser.get("/").status_code == 200
        key = browser.cookies[name].value
        freeze(employee, admin_user)
    signed = engine.endswith("signed_cookies")
    if not signed:  # a signed-cookie session is recognised by its frozen account instead
        (row,) = RevokedCredential.objects.all()
        assert (row.kind, row.user_id, row.key_hash) == ("session", employee.pk, sha(key))
    assert events() == []
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        page = replay(browser, name, key)
        assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
        assert replay(browser, name, key, "/api/v1/me").status_code == 401
    (event,) = events()
    assert (event.actor_id, event.organization_id) == (employee.pk, employee.organization_id)
    assert (event.object_type, event.object_id) == ("core.user", str(employee.pk))
    assert event.changes == {"credential": [None, "session"]}
    row = RevokedCredential.objects.get(key_hash=sha(key))
    assert (row.kind, row.user_id) == ("session", employee.pk)
    assert key not in str(event.changes)
    with time_machine.travel(T0 + dt.timedelta(minutes=64), tick=False):
        replay(browser, name, key)
    assert len(events()) == 1  # within the hour of the first report
    with time_machine.travel(T0 + dt.timedelta(minutes=66), tick=False):
        replay(browser, name, key)
    assert len(events()) == 2


def test_an_unknown_or_expired_session_cookie_leaves_nothing(employee, settings):
    browser = Client()
    assert replay(browser, settings.SESSION_COOKIE_NAME, "x" * 32).status_code == 302
    assert events() == []


def test_a_logged_out_session_is_not_a_revoked_credential(employee, settings):
    browser = client_for(employee)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    browser.post("/accounts/logout/")
    replay(browser, settings.SESSION_COOKIE_NAME, key)
    assert events() == []
    assert not RevokedCredential.objects.exists()


def test_normal_requests_do_not_query_the_table(employee, settings):
    browser = client_for(employee)
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/").status_code == 200
        assert Client().get("/accounts/login/").status_code == 200
    assert not [q for q in queries.captured_queries if TABLE in q["sql"]]


def test_a_revoked_token_of_a_frozen_account_leaves_one_event_an_hour(employee, admin_user):
    raw = api_token(employee)
    bearer = {"Authorization": f"Bearer {raw}"}
    with time_machine.travel(T0, tick=False):
        freeze(employee, admin_user)
    token = ApiToken.objects.get(user=employee)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert Client().get("/api/v1/me", headers=bearer).status_code == 401
        assert Client().get("/api/v1/me", headers=bearer).status_code == 401
    (event,) = events()
    assert event.actor_id == employee.pk
    assert event.changes == {"credential": [None, "api_token"], "token_id": [None, token.pk]}
    assert raw not in str(event.changes)
    (row,) = RevokedCredential.objects.filter(kind="api_token")
    assert (row.user_id, row.key_hash) == (employee.pk, sha(raw))
    with time_machine.travel(T0 + dt.timedelta(minutes=62), tick=False):
        assert Client().get("/api/v1/me", headers=bearer).status_code == 401
    assert len(events()) == 2


def test_a_token_revoked_while_the_account_is_active_leaves_no_event(employee):
    token, raw = tokens.token_create(user=employee, name="cli")
    tokens.token_revoke(user=employee, token_id=token.pk)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/api/v1/me", headers=bearer).status_code == 401
    unknown = {"Authorization": "Bearer anzu_" + "z" * 40}
    assert Client().get("/api/v1/me", headers=unknown).status_code == 401
    assert events() == []
    assert not RevokedCredential.objects.exists()


def test_revoked_session_hashes_are_pruned_once_their_cookie_expired(
    employee, admin_user, settings
):
    from anzu.risk.identity.sessions import prune_session_keys

    with time_machine.travel(T0, tick=False):
        client_for(employee)
        freeze(employee, admin_user)
    assert RevokedCredential.objects.count() == 1
    age = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(T0 + age - dt.timedelta(minutes=1), tick=False):
        prune_session_keys()
    assert RevokedCredential.objects.count() == 1
    with time_machine.travel(T0 + age + dt.timedelta(minutes=1), tick=False):
        prune_session_keys()
    assert not RevokedCredential.objects.exists()
