from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from anzu.common.testing import OrganizationFactory, make_user
from anzu.core.models import ApiToken, AuditEvent, User
from anzu.risk.identity import services
from anzu.risk.identity.models import AccountEvent, AccountState
from anzu.risk.identity.scim import ENTERPRISE_SCHEMA, ERROR_SCHEMA, PATCH_SCHEMA, USER_SCHEMA
from anzu.risk.identity.tests.conftest import api_token, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def scim(admin_user: Any) -> Any:
    _token, raw = services.scim_token_create(by=admin_user, name="okta")

    class Scim:
        headers = {"Authorization": f"Bearer {raw}"}

        def call(
            self, method: str, path: str, body: Any = None, raw_body: bytes | None = None
        ) -> Any:
            client = Client(enforce_csrf_checks=True)
            data = (
                raw_body if raw_body is not None else (json.dumps(body) if body is not None else "")
            )
            return getattr(client, method)(
                f"/scim/v2/{path}", data=data, content_type="application/scim+json",
                headers=self.headers,
            )  # fmt: skip

    return Scim()


def snapshot() -> tuple[Any, ...]:
    return (
        list(User.objects.order_by("pk").values_list("username", "first_name", "last_name", "display_name", "email", "is_active")),
        list(AccountState.objects.order_by("pk").values_list("status", "external_id", "employee_id")),
        AccountEvent.objects.count(),
        AuditEvent.objects.count(),
    )  # fmt: skip


def assert_scim_error(response: Any, status: int, scim_type: str | None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]


NEW_USER = {
    "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
    "userName": "wang.fang",
    "externalId": "00u1",
    "name": {"givenName": "Fang", "familyName": "Wang", "formatted": "王芳"},
    "emails": [{"value": "wang.fang@example.com", "primary": True, "type": "work"}],
    "active": True,
    ENTERPRISE_SCHEMA: {"employeeNumber": "E-2001"},
}


def test_create_get_list_filter(scim, org):
    response = scim.call("post", "Users", NEW_USER)
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/scim+json"
    created = response.json()
    user = User.objects.get(username="wang.fang")
    assert created["id"] == str(user.pk) and response["Location"].endswith(f"/Users/{user.pk}")
    assert (user.organization_id, user.kind, user.first_name, user.email) == (
        org.pk, "staff", "Fang", "wang.fang@example.com",
    )  # fmt: skip
    assert user.display_name == "王芳"
    assert not user.role_grants.exists()
    assert not user.has_usable_password()
    assert user.account_state.password_reset_required
    assert user.account_state.external_id == "00u1"
    assert user.account_state.employee_id == "E-2001"
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()

    one = scim.call("get", f"Users/{user.pk}").json()
    assert one["userName"] == "wang.fang" and one["active"] is True
    assert one["name"]["familyName"] == "Wang"

    listed = scim.call("get", 'Users?filter=userName eq "wang.fang"').json()
    assert listed["totalResults"] == 1 and listed["Resources"][0]["id"] == str(user.pk)
    none = scim.call("get", 'Users?filter=userName eq "nobody"').json()
    assert none["totalResults"] == 0 and none["Resources"] == []
    everyone = scim.call("get", "Users?startIndex=1&count=1").json()
    assert everyone["itemsPerPage"] == 1 and everyone["totalResults"] == 2  # + the admin


def test_patch_active_false_freezes_and_is_idempotent(scim, employee):
    browser = client_for(employee)
    raw = api_token(employee)
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    response = scim.call("patch", f"Users/{employee.pk}", patch)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    employee.refresh_from_db()
    assert not employee.is_active
    assert browser.get("/").status_code == 302
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert ApiToken.objects.get(user=employee).revoked_at is not None
    event = AccountEvent.objects.get(user=employee)
    assert event.source == "scim"

    before = snapshot()
    again = scim.call("patch", f"Users/{employee.pk}", patch)
    assert again.status_code == 200 and again.json()["active"] is False
    assert snapshot() == before


def test_patch_without_path_and_name_fields(scim, employee):
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "Replace", "value": {"name.givenName": "Lei", "name.familyName": "Li"}},
            {"op": "replace", "path": "displayName", "value": "李雷"},
        ],
    }
    response = scim.call("patch", f"Users/{employee.pk}", patch)
    assert response.status_code == 200, response.content
    employee.refresh_from_db()
    assert (employee.first_name, employee.last_name, employee.display_name) == ("Lei", "Li", "李雷")
    assert employee.is_active
    assert AuditEvent.objects.filter(action="user.update", object_id=str(employee.pk)).exists()


def test_patch_active_true_reactivates_with_forced_reset(scim, employee, admin_user):
    services.account_freeze(user=employee, reason="left", source="manual", by=admin_user)
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": "True"}],
    }
    response = scim.call("patch", f"Users/{employee.pk}", patch)
    assert response.status_code == 200
    employee.refresh_from_db()
    assert employee.is_active and not employee.has_usable_password()
    assert employee.account_state.password_reset_required


def test_put_replaces_and_can_freeze(scim, employee):
    body = {**NEW_USER, "userName": "leaver", "active": False, "id": str(employee.pk)}
    response = scim.call("put", f"Users/{employee.pk}", body)
    assert response.status_code == 200, response.content
    employee.refresh_from_db()
    assert employee.first_name == "Fang" and not employee.is_active


def test_delete_freezes_and_keeps_the_identity(scim, employee):
    response = scim.call("delete", f"Users/{employee.pk}")
    assert response.status_code == 204
    employee.refresh_from_db()
    assert not employee.is_active
    assert scim.call("get", f"Users/{employee.pk}").json()["active"] is False
    assert scim.call("delete", f"Users/{employee.pk}").status_code == 204
    assert AccountEvent.objects.filter(user=employee).count() == 1


@pytest.mark.parametrize(
    "method,path,body,status,scim_type",
    [
        ("post", "Users", {**NEW_USER, "nickname": "x"}, 400, "invalidSyntax"),
        ("post", "Users", {**NEW_USER, "userName": 5}, 400, "invalidValue"),
        ("post", "Users", {**NEW_USER, "userName": "a b"}, 400, "invalidValue"),
        ("post", "Users", {**NEW_USER, "active": "maybe"}, 400, "invalidValue"),
        ("post", "Users", {**NEW_USER, "emails": "x@example.com"}, 400, "invalidValue"),
        ("post", "Users", {**NEW_USER, "name": "Wang"}, 400, "invalidValue"),
        ("post", "Users", {**NEW_USER, "schemas": ["urn:other"]}, 400, "invalidSyntax"),
        ("post", "Users", {**NEW_USER, "id": "12"}, 400, "mutability"),
        ("post", "Users", {**NEW_USER, "userName": "leaver"}, 409, "uniqueness"),
        ("post", "Users", [NEW_USER], 400, "invalidSyntax"),
        ("patch", "Users/{id}", {"Operations": [{"op": "replace", "path": "active", "value": False}]}, 400, "invalidSyntax"),
        ("patch", "Users/{id}", {"schemas": [PATCH_SCHEMA], "Operations": []}, 400, "invalidSyntax"),
        ("patch", "Users/{id}", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "active", "value": False}]}, 400, "invalidValue"),
        ("patch", "Users/{id}", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": 0}]}, 400, "invalidValue"),
        ("patch", "Users/{id}", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}, 400, "invalidPath"),
        ("patch", "Users/{id}", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "userName", "value": "x"}]}, 400, "mutability"),
        ("patch", "Users/{id}", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "active"}]}, 400, "invalidSyntax"),
        # A valid name change together with a bad operation: nothing is applied.
        ("patch", "Users/{id}", {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "name.givenName", "value": "X"}, {"op": "replace", "path": "active", "value": "no"}]}, 400, "invalidValue"),
        ("put", "Users/{id}", {**NEW_USER, "userName": "leaver", "id": "999"}, 400, "mutability"),
        ("put", "Users/{id}", {**NEW_USER, "userName": "orgadmin"}, 409, "uniqueness"),
        ("get", "Users?filter=userName sw \"a\"", None, 400, "invalidFilter"),
        ("get", "Users?startIndex=abc", None, 400, "invalidValue"),
    ],
)  # fmt: skip
def test_malformed_requests_answer_scim_errors_and_change_nothing(
    scim, employee, method, path, body, status, scim_type
):
    before = snapshot()
    response = scim.call(method, path.replace("{id}", str(employee.pk)), body)
    assert_scim_error(response, status, scim_type)
    assert snapshot() == before


@pytest.mark.parametrize("raw", [b"{broken", b"\xff", b""])
def test_unparseable_bodies(scim, employee, raw):
    before = snapshot()
    response = scim.call("patch", f"Users/{employee.pk}", raw_body=raw)
    assert_scim_error(response, 400, "invalidSyntax")
    assert snapshot() == before


def test_authentication_and_organization_isolation(scim, admin_user):
    assert_scim_error(Client().get("/scim/v2/Users"), 401, None)
    bad = Client().get("/scim/v2/Users", headers={"Authorization": "Bearer scim_nope"})
    assert_scim_error(bad, 401, None)
    personal = api_token(admin_user)
    wrong_kind = Client().get("/scim/v2/Users", headers={"Authorization": f"Bearer {personal}"})
    assert_scim_error(wrong_kind, 401, None)
    outsider = make_user(OrganizationFactory(), "engineer", username="outsider")
    assert_scim_error(scim.call("get", f"Users/{outsider.pk}"), 404, None)
    assert_scim_error(scim.call("get", "Users/abc"), 404, None)
    listed = scim.call("get", "Users").json()
    assert "outsider" not in {r["userName"] for r in listed["Resources"]}


def test_revoked_token_is_refused(scim, admin_user):
    from anzu.risk.identity.models import ScimToken

    services.scim_token_revoke(token=ScimToken.objects.get(), by=admin_user)
    assert_scim_error(scim.call("get", "Users"), 401, None)


def test_tenant_accounts_are_invisible(scim, portfolio):
    from anzu.common.testing import make_tenant

    tenant = make_tenant(portfolio["customer"])
    assert_scim_error(scim.call("get", f"Users/{tenant.pk}"), 404, None)


def test_discovery_endpoints(scim):
    config = scim.call("get", "ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    schemas = scim.call("get", "Schemas").json()
    assert {r["id"] for r in schemas["Resources"]} == {USER_SCHEMA, ENTERPRISE_SCHEMA}
    types = scim.call("get", "ResourceTypes").json()
    assert types["Resources"][0]["endpoint"] == "/Users"
    assert_scim_error(scim.call("post", "Schemas", {}), 405, None)
