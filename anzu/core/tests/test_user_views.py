from __future__ import annotations

import pytest

from anzu.common.testing import PASSWORD, make_user
from anzu.core.models import User
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.login(username=admin_user.username, password=PASSWORD)
    return client


def test_list_and_create_staff_user(admin_client, portfolio):
    assert admin_client.get("/accounts/users/").status_code == 200
    response = admin_client.post(
        "/accounts/users/new/",
        {
            "username": "kefu1",
            "display_name": "客服小李",
            "roles": ["customer_service"],
            "scope_all": "on",
        },
    )
    assert response.status_code == 200
    account = User.objects.get(username="kefu1")
    # The roles wait for a second administrator; the page links the request.
    assert account.role_set == frozenset()
    request = response.context["role_request"]
    assert f"/approvals/{request.pk}/" in response.content.decode()
    account = approve_as(request)
    assert account.role_set == frozenset({"customer_service"})
    assert account.scope_all is True
    assert response.context["password"]
    assert account.check_password(response.context["password"])


def test_create_error_is_shown_on_the_field(admin_client):
    response = admin_client.post("/accounts/users/new/", {"username": "ab", "roles": ["legal"]})
    assert response.status_code == 422
    assert response.context["form"].errors["username"]
    assert not User.objects.filter(username="ab").exists()


def test_set_roles_and_scope(admin_client, org, portfolio):
    account = make_user(org, "finance", username="fin9")
    url = f"/accounts/users/{account.pk}/"
    assert admin_client.get(url).status_code == 200
    asked = admin_client.post(url, {"form": "roles", "roles-roles": ["finance", "legal"]})
    request = ApprovalRequest.objects.get(action="core.role_grant")
    assert asked["Location"] == f"/approvals/{request.pk}/"
    assert User.objects.get(pk=account.pk).role_set == frozenset({"finance"})
    approve_as(request)
    assert User.objects.get(pk=account.pk).role_set == frozenset({"finance", "legal"})
    admin_client.post(url, {"form": "scope", "scope-project_ids": [portfolio["p2"].pk]})
    fresh = User.objects.get(pk=account.pk)
    assert fresh.scope_all is False
    assert list(fresh.scopes.values_list("project_id", flat=True)) == [portfolio["p2"].pk]


def test_non_admin_is_forbidden_and_other_org_is_404(client, org, other_org, manager, admin_user):
    client.login(username=manager.username, password=PASSWORD)
    assert client.get("/accounts/users/").status_code == 403
    client.logout()
    client.login(username=admin_user.username, password=PASSWORD)
    stranger = make_user(other_org, "admin", username="stranger2")
    assert client.get(f"/accounts/users/{stranger.pk}/").status_code == 404


def test_tenant_account_page(admin_client, portfolio):
    response = admin_client.post(
        "/accounts/users/tenant/new/",
        {"customer_id": portfolio["customer"].pk, "username": "tenant-lilei"},
    )
    assert response.status_code == 200
    assert User.objects.get(username="tenant-lilei").customer_id == portfolio["customer"].pk
