from __future__ import annotations

import pytest
from django.test import Client

from anzu.common.testing import make_user
from anzu.core.models import User
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db
JSON = "application/json"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_creates_lists_and_changes_users(admin_user, portfolio):
    client = logged_in(admin_user)
    response = client.post(
        "/api/v1/users",
        {"username": "fawu1", "roles": ["legal"], "scope_all": True},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # The roles wait for a second administrator (core.role_grant).
    assert body["roles"] == []
    assert body["initial_password"]
    user_id = body["id"]
    approve_as(ApprovalRequest.objects.get(pk=body["role_request_id"]))
    listing = client.get("/api/v1/users?role=legal").json()
    assert [u["username"] for u in listing["items"]] == ["fawu1"]
    response = client.put(
        f"/api/v1/users/{user_id}/roles", {"roles": ["legal", "finance"]}, content_type=JSON
    )
    assert (response.status_code, response.json()["action"]) == (202, "core.role_grant")
    approve_as(ApprovalRequest.objects.get(pk=response.json()["id"]))
    assert client.get(f"/api/v1/users/{user_id}").json()["roles"] == ["finance", "legal"]
    response = client.put(
        f"/api/v1/users/{user_id}/scope",
        {"scope_all": False, "building_ids": [portfolio["b1"].pk]},
        content_type=JSON,
    )
    assert response.json()["building_ids"] == [portfolio["b1"].pk]
    assert response.json()["scope_all"] is False


def test_bad_role_names_the_field(admin_user):
    response = logged_in(admin_user).post(
        "/api/v1/users", {"username": "x1x", "roles": ["emperor"]}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["field"] == "roles"
    assert not User.objects.filter(username="x1x").exists()


def test_manager_cannot_manage_users_and_other_org_is_404(manager, admin_user, other_org):
    assert (
        logged_in(manager)
        .post("/api/v1/users", {"username": "nope1", "roles": ["legal"]}, content_type=JSON)
        .status_code
        == 403
    )
    assert logged_in(manager).get("/api/v1/users").json()["items"] == []
    stranger = make_user(other_org, "admin", username="stranger3")
    assert logged_in(admin_user).get(f"/api/v1/users/{stranger.pk}").status_code == 404


def test_tenant_account_via_api(admin_user, portfolio):
    response = logged_in(admin_user).post(
        "/api/v1/users/tenants",
        {"customer_id": portfolio["customer"].pk, "username": "lilei-h5"},
        content_type=JSON,
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "tenant"
    assert response.json()["customer_id"] == portfolio["customer"].pk
