from __future__ import annotations

import pytest
from django.test import Client

from anzu.common.testing import OrganizationFactory, make_user
from anzu.risk.identity import services
from anzu.risk.identity.models import AccountEvent, ScimToken
from anzu.risk.identity.tests.conftest import api_token, client_for

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(user)}"}


def test_api_list_detail_freeze_reactivate(employee, admin_user):
    headers = bearer(admin_user)
    client = Client()
    listed = client.get("/api/v1/accounts", headers=headers).json()
    assert set(listed) == {"items", "page", "page_size", "total"}
    assert {i["username"] for i in listed["items"]} == {"leaver", "orgadmin"}

    frozen = client.post(
        f"/api/v1/accounts/{employee.pk}/freeze", {"reason": "left"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert frozen.status_code == 200, frozen.content
    assert frozen.json()["status"] == "frozen" and frozen.json()["frozen_source"] == "manual"
    again = client.post(
        f"/api/v1/accounts/{employee.pk}/freeze", {"reason": "again"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert again.status_code == 200 and again.json()["frozen_reason"] == "left"
    assert AccountEvent.objects.filter(user=employee, kind="frozen").count() == 1

    back = client.post(
        f"/api/v1/accounts/{employee.pk}/reactivate", {"reason": "rehired"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert back.status_code == 200
    body = back.json()
    assert body["account"]["status"] == "reset_required"
    assert body["reset_url"].endswith(f"/accounts/lifecycle/password/{body['reset_token']}/")
    events = client.get(f"/api/v1/accounts/{employee.pk}/events", headers=headers).json()
    assert [e["kind"] for e in events["items"]][:2] == [
        "password_reset_required",
        "reactivated",
    ] or {e["kind"] for e in events["items"]} == {
        "frozen",
        "reactivated",
        "password_reset_required",
    }


def test_api_errors(employee, admin_user, org):
    headers = bearer(admin_user)
    client = Client()
    missing = client.post(
        f"/api/v1/accounts/{employee.pk}/freeze",
        {},
        content_type="application/json",
        headers=headers,
    )
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    unknown = client.post(
        f"/api/v1/accounts/{employee.pk}/freeze", {"reason": "x", "force": True},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["field"] == "force"
    me = client.post(
        f"/api/v1/accounts/{admin_user.pk}/freeze", {"reason": "x"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert me.status_code == 422 and me.json()["code"] == "self_lockout"
    not_frozen = client.post(
        f"/api/v1/accounts/{employee.pk}/reactivate", {"reason": "x"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert not_frozen.status_code == 409
    outsider = make_user(OrganizationFactory(), "engineer", username="outsider")
    assert client.get(f"/api/v1/accounts/{outsider.pk}", headers=headers).status_code == 404
    manager = make_user(org, "management", username="mgr")
    assert client.get("/api/v1/accounts", headers=bearer(manager)).status_code == 403
    employee.refresh_from_db()
    assert employee.is_active and not AccountEvent.objects.exists()


def test_profile_api_and_duplicate_employee_id(employee, admin_user, org):
    headers = bearer(admin_user)
    other = make_user(org, "finance", username="other")
    ok = Client().put(
        f"/api/v1/accounts/{employee.pk}/profile", {"employee_id": "E-1", "service_account": True},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert ok.status_code == 200 and ok.json()["employee_id"] == "E-1"
    dup = Client().put(
        f"/api/v1/accounts/{other.pk}/profile", {"employee_id": "E-1"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert dup.status_code == 409 and dup.json()["field"] == "employee_id"


def test_pages(employee, admin_user):
    browser = client_for(admin_user)
    page = browser.get("/accounts/lifecycle/")
    assert page.status_code == 200
    assert "leaver" in page.content.decode()
    home = browser.get("/")
    assert "/accounts/lifecycle/" in home.content.decode()  # navigation entry
    detail = browser.get(f"/accounts/lifecycle/{employee.pk}/")
    assert detail.status_code == 200

    bad = browser.post(f"/accounts/lifecycle/{employee.pk}/freeze/", {"freeze-reason": ""})
    assert bad.status_code == 422
    employee.refresh_from_db()
    assert employee.is_active

    done = browser.post(f"/accounts/lifecycle/{employee.pk}/freeze/", {"freeze-reason": "left"})
    assert done.status_code == 302
    employee.refresh_from_db()
    assert not employee.is_active
    frozen_list = browser.get("/accounts/lifecycle/?status=frozen").content.decode()
    assert "leaver" in frozen_list

    shown = browser.post(
        f"/accounts/lifecycle/{employee.pk}/reactivate/", {"reactivate-reason": "back"}
    )
    assert shown.status_code == 200
    assert "/accounts/lifecycle/password/" in shown.content.decode()
    history = browser.get(f"/accounts/lifecycle/{employee.pk}/").content.decode()
    assert "left" in history and "back" in history

    profile = browser.post(
        f"/accounts/lifecycle/{employee.pk}/profile/",
        {"profile-employee_id": "E-9", "profile-service_account": "on"},
    )
    assert profile.status_code == 302
    assert employee.account_state.__class__.objects.get(user=employee).service_account


def test_provisioning_page_tokens_and_webhook_status(admin_user, settings):
    browser = client_for(admin_user)
    page = browser.get("/accounts/lifecycle/provisioning/")
    assert page.status_code == 200
    created = browser.post("/accounts/lifecycle/provisioning/", {"name": "okta"})
    assert created.status_code == 200
    token = ScimToken.objects.get()
    assert token.prefix in created.content.decode()
    revoke = browser.post(f"/accounts/lifecycle/provisioning/{token.pk}/revoke/")
    assert revoke.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    settings.HR_WEBHOOK_SECRET = ""
    assert (
        "ANZU_HR_WEBHOOK_SECRET"
        in browser.get("/accounts/lifecycle/provisioning/").content.decode()
    )


@pytest.mark.parametrize("role", ["management", "finance", "engineer"])
def test_pages_are_for_admins_only(org, employee, role):
    browser = client_for(make_user(org, role))
    assert browser.get("/accounts/lifecycle/").status_code == 403
    assert (
        browser.post(
            f"/accounts/lifecycle/{employee.pk}/freeze/", {"freeze-reason": "x"}
        ).status_code
        == 403
    )
    employee.refresh_from_db()
    assert employee.is_active


def test_other_organization_account_page_is_404(admin_user):
    outsider = make_user(OrganizationFactory(), "engineer", username="outsider")
    browser = client_for(admin_user)
    assert browser.get(f"/accounts/lifecycle/{outsider.pk}/").status_code == 404
    assert (
        browser.post(
            f"/accounts/lifecycle/{outsider.pk}/freeze/", {"freeze-reason": "x"}
        ).status_code
        == 404
    )
    outsider.refresh_from_db()
    assert outsider.is_active


def test_scim_token_service_validation(admin_user):
    from anzu.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.scim_token_create(by=admin_user, name="")
    assert not ScimToken.objects.exists()
