from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from anzu.common import clock
from anzu.core.models import AuditEvent
from anzu.risk.identity.hr import hr_apply_due
from anzu.risk.identity.models import AccountEvent, AccountState, HrWebhookEvent
from anzu.risk.identity.tests.conftest import api_token, client_for, hr_post, sign

pytestmark = pytest.mark.django_db


def unchanged(user: Any) -> None:
    user.refresh_from_db()
    assert user.is_active
    assert not HrWebhookEvent.objects.exists()
    assert not AccountEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()


def test_signed_delivery_freezes_at_once(employee, frozen_time):
    browser = client_for(employee)
    raw = api_token(employee)
    response = hr_post(Client(), {"event_id": "evt-1", "username": "leaver"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "frozen" and body["user_id"] == employee.pk
    assert body["account_status"] == "frozen"
    employee.refresh_from_db()
    assert not employee.is_active
    assert browser.get("/").status_code == 302
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    event = AccountEvent.objects.get(user=employee)
    assert (event.source, event.external_id, event.by) == ("hr_webhook", "evt-1", None)
    audit = AuditEvent.objects.get(action="account.freeze")
    assert audit.actor_label == "system" and audit.changes["external_id"] == [None, "evt-1"]


@pytest.mark.parametrize(
    "key,value",
    [("email", "LEAVER@example.com"), ("employee_id", "E-1001")],
)
def test_employee_found_by_email_or_employee_id(employee, key, value):
    AccountState.objects.create(
        user=employee, organization=employee.organization, employee_id="E-1001"
    )
    response = hr_post(Client(), {"event_id": "evt-2", key: value})
    assert response.status_code == 200, response.content
    employee.refresh_from_db()
    assert not employee.is_active


def test_already_frozen_answers_200_with_the_state(employee):
    hr_post(Client(), {"event_id": "evt-a", "username": "leaver"})
    response = hr_post(Client(), {"event_id": "evt-b", "username": "leaver"})
    assert response.status_code == 200
    assert response.json()["status"] == "already_frozen"
    assert AccountEvent.objects.filter(user=employee).count() == 1


def test_bad_signature_is_401_and_changes_nothing(employee):
    response = hr_post(Client(), {"event_id": "evt-1", "username": "leaver"}, signature="00" * 32)
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert response.json()["field"] == "X-Anzu-Signature"
    unchanged(employee)


def test_signature_with_another_secret_is_refused(employee):
    body = json.dumps({"event_id": "evt-1", "username": "leaver"}).encode()
    ts = int(clock.now().timestamp())
    response = hr_post(
        Client(), None, raw=body, timestamp=ts, signature=sign(body, ts, secret="x" * 40)
    )
    assert response.status_code == 401
    unchanged(employee)


def test_body_changed_after_signing_is_refused(employee):
    body = json.dumps({"event_id": "evt-1", "username": "someone"}).encode()
    ts = int(clock.now().timestamp())
    tampered = body.replace(b"someone", b"leaver")
    response = hr_post(Client(), None, raw=tampered, timestamp=ts, signature=sign(body, ts))
    assert response.status_code == 401
    unchanged(employee)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_old_or_future_timestamp_is_401(employee, age):
    ts = int(clock.now().timestamp()) - age
    response = hr_post(Client(), {"event_id": "evt-1", "username": "leaver"}, timestamp=ts)
    assert response.status_code == 401
    assert response.json()["code"] == "stale_timestamp"
    unchanged(employee)


def test_missing_or_malformed_timestamp_is_401(employee):
    body = json.dumps({"event_id": "evt-1", "username": "leaver"}).encode()
    response = Client().post(
        "/api/v1/hr/offboarding", data=body, content_type="application/json",
        headers={"X-Anzu-Timestamp": "yesterday", "X-Anzu-Signature": sign(body, "yesterday")},
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["code"] == "bad_timestamp"
    unchanged(employee)


def test_replayed_event_id_is_409_and_changes_nothing(employee, admin_user):
    from anzu.risk.identity.services import account_reactivate

    hr_post(Client(), {"event_id": "evt-1", "username": "leaver"})
    account_reactivate(user=employee, by=admin_user, reason="came back")
    before = (AccountEvent.objects.count(), AuditEvent.objects.count())
    response = hr_post(Client(), {"event_id": "evt-1", "username": "leaver"})
    assert response.status_code == 409
    assert response.json()["code"] == "replayed"
    employee.refresh_from_db()
    assert employee.is_active
    assert (AccountEvent.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    "payload,code,field",
    [
        ({"event_id": "evt-1", "username": "nobody"}, "unknown_employee", "username"),
        ({"event_id": "evt-1", "employee_id": "E-404"}, "unknown_employee", "employee_id"),
        ({"username": "leaver"}, "required", "event_id"),
        ({"event_id": "evt-1"}, "required", "employee_id"),
        ({"event_id": "evt-1", "username": "leaver", "fired": True}, "unknown_field", "fired"),
        ({"event_id": 7, "username": "leaver"}, "invalid", "event_id"),
        (
            {"event_id": "e", "username": "leaver", "effective_at": "tomorrow"},
            "invalid",
            "effective_at",
        ),
        (
            {"event_id": "e", "username": "leaver", "effective_at": "2026-03-11T10:00:00"},
            "invalid",
            "effective_at",
        ),
    ],
)
def test_bad_payloads_are_named_and_change_nothing(employee, payload, code, field):
    response = hr_post(Client(), payload)
    assert response.status_code in (404, 422), response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    unchanged(employee)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_json_is_422(employee, raw):
    response = hr_post(Client(), None, raw=raw)
    assert response.status_code == 422
    unchanged(employee)


def test_no_secret_configured_is_503(employee, settings):
    settings.HR_WEBHOOK_SECRET = ""
    response = hr_post(Client(), {"event_id": "evt-1", "username": "leaver"})
    assert response.status_code == 503
    assert response.json()["code"] == "not_configured"
    unchanged(employee)


def test_future_effective_time_is_scheduled_then_applied(employee, frozen_time):
    effective = clock.now() + dt.timedelta(days=2)
    response = hr_post(
        Client(),
        {"event_id": "evt-9", "username": "leaver", "effective_at": effective.isoformat()},
    )
    assert response.status_code == 202
    assert response.json()["status"] == "scheduled"
    employee.refresh_from_db()
    assert employee.is_active
    assert AccountEvent.objects.get(user=employee).kind == "freeze_scheduled"

    assert hr_apply_due() == []  # not yet due
    frozen_time.shift(dt.timedelta(days=2, seconds=1))
    assert hr_apply_due() == [employee.pk]
    employee.refresh_from_db()
    assert not employee.is_active
    assert HrWebhookEvent.objects.get().status == "applied"
    assert hr_apply_due() == []  # idempotent


def test_periodic_task_applies_due_freezes(employee, frozen_time):
    from anzu.risk.identity.tasks import apply_scheduled_offboarding

    effective = clock.now() + dt.timedelta(hours=1)
    hr_post(
        Client(), {"event_id": "e", "username": "leaver", "effective_at": effective.isoformat()}
    )
    frozen_time.shift(dt.timedelta(hours=2))
    apply_scheduled_offboarding.call_local()
    employee.refresh_from_db()
    assert not employee.is_active


def test_ambiguous_match_across_organizations_needs_the_organization(employee):
    from anzu.common.testing import OrganizationFactory, make_user

    other_org = OrganizationFactory()
    twin = make_user(other_org, "finance", username="twin", email="leaver@example.com")
    response = hr_post(Client(), {"event_id": "e1", "email": "leaver@example.com"})
    assert response.status_code == 409
    assert response.json()["code"] == "ambiguous_employee"
    unchanged(employee)
    response = hr_post(
        Client(),
        {"event_id": "e1", "email": "leaver@example.com", "organization": other_org.slug},
    )
    assert response.status_code == 200
    twin.refresh_from_db()
    employee.refresh_from_db()
    assert not twin.is_active and employee.is_active


def test_no_csrf_token_is_needed(employee):
    response = hr_post(Client(enforce_csrf_checks=True), {"event_id": "e", "username": "leaver"})
    assert response.status_code == 200
