"""API plumbing: /me, personal access tokens, authentication, the error shape and the docs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from anzu.common.testing import make_tenant, make_user
from anzu.core.models import ApiToken, AuditEvent
from anzu.core.tokens import token_create
from anzu.portfolio.models import Project

pytestmark = pytest.mark.django_db

JSON = "application/json"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


# /me ----------------------------------------------------------------------------------------


def test_me_for_org_wide_manager(org, manager):
    response = logged_in(manager).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": manager.pk,
        "username": "manager",
        "display_name": "",
        "kind": "staff",
        "roles": ["management"],
        "organization": {"id": org.pk, "name": org.name, "slug": org.slug},
        "scope": {"everything": True, "project_ids": [], "building_ids": []},
        "customer_id": None,
    }


def test_me_for_scoped_frontline(org, portfolio):
    user = make_user(
        org,
        "frontline",
        "customer_service",
        projects=[portfolio["p1"]],
        buildings=[portfolio["b2"]],
    )
    body = logged_in(user).get("/api/v1/me").json()
    assert body["roles"] == ["customer_service", "frontline"]
    assert body["scope"] == {
        "everything": False,
        "project_ids": [portfolio["p1"].pk],
        "building_ids": [portfolio["b2"].pk],
    }


def test_me_for_tenant(org, portfolio):
    tenant = make_tenant(portfolio["customer"])
    body = logged_in(tenant).get("/api/v1/me").json()
    assert body["kind"] == "tenant"
    assert body["roles"] == []
    assert body["customer_id"] == portfolio["customer"].pk
    assert body["scope"] == {"everything": False, "project_ids": [], "building_ids": []}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("delete", "/api/v1/tokens/1"),
        ("get", "/api/v1/projects"),
        ("post", "/api/v1/projects"),
        ("get", "/api/v1/buildings/1"),
        ("patch", "/api/v1/units/1"),
        ("get", "/api/v1/equipment"),
        ("get", "/api/v1/customers"),
        ("get", "/api/v1/leases"),
        ("post", "/api/v1/leases/1/submit"),
    ],
)
def test_unauthenticated_requests_get_401(db, method, path):
    response = getattr(Client(), method)(path, data={}, content_type=JSON)
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "Authentication required: log in or send a valid Bearer token.",
        "field": None,
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="anzu"'


# Tokens -------------------------------------------------------------------------------------


def test_create_list_and_revoke_a_token(org, manager):
    client = logged_in(manager)
    created = client.post(
        "/api/v1/tokens", data={"name": "ERP sync", "expires_in_days": 30}, content_type=JSON
    )
    assert created.status_code == 201
    body = created.json()
    raw = body.pop("token")
    assert raw.startswith("anzu_")
    assert body["name"] == "ERP sync"
    assert body["prefix"] == raw[:11]
    assert body["revoked_at"] is None
    assert body["expires_at"] is not None
    # The raw token is shown once: the list never shows it again.
    listed = client.get("/api/v1/tokens").json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == body["id"]
    assert "token" not in listed["items"][0]
    assert raw not in client.get("/api/v1/tokens").content.decode()
    # The token works.
    me = bearer(raw).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "manager"
    # Revoke it; afterwards it is refused.
    revoked = client.delete(f"/api/v1/tokens/{body['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert bearer(raw).get("/api/v1/me").status_code == 401
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "api_token.create",
        "api_token.revoke",
    ]


def test_token_can_write_with_bearer_and_no_csrf(org, manager):
    _token, raw = token_create(user=manager, name="script")
    response = bearer(raw).post(
        "/api/v1/projects", data={"code": "P9", "name": "新项目"}, content_type=JSON
    )
    assert response.status_code == 201
    assert Project.objects.filter(organization=org, code="P9").count() == 1


def test_revoking_another_users_token_is_404(org, manager):
    other = make_user(org, "finance", username="fin")
    token, _raw = token_create(user=other, name="theirs")
    response = logged_in(manager).delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_token_name_is_required(org, manager):
    response = logged_in(manager).post("/api/v1/tokens", data={"name": " "}, content_type=JSON)
    assert response.status_code == 422
    assert response.json() == {
        "code": "required",
        "message": "This field is required.",
        "field": "name",
    }
    assert ApiToken.objects.count() == 0


def test_expired_token_is_401(org, manager):
    with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), tick=False):
        _token, raw = token_create(user=manager, name="short", expires_in_days=1)
        assert bearer(raw).get("/api/v1/me").status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 2, 0, 0, 1, tzinfo=dt.UTC), tick=False):
        response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_inactive_user_token_is_401(org, manager):
    _token, raw = token_create(user=manager, name="t")
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert bearer(raw).get("/api/v1/me").status_code == 401


def test_deactivated_users_session_is_401(org, manager):
    client = logged_in(manager)
    assert client.get("/api/v1/me").status_code == 200
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer anzu_not-a-real-token", "Bearer nope", "Bearer ", "Basic dXNlcjpwYXNz"],
)
def test_bad_credentials_are_401(db, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/me")
    assert response.status_code == 401


def test_bad_bearer_token_is_401_even_on_writes(db):
    response = bearer("anzu_bogus").post(
        "/api/v1/projects", data={"code": "X", "name": "X"}, content_type=JSON
    )
    assert response.status_code == 401
    assert Project.objects.count() == 0


def test_tenant_may_hold_a_token(org, portfolio):
    tenant = make_tenant(portfolio["customer"])
    response = logged_in(tenant).post("/api/v1/tokens", data={"name": "app"}, content_type=JSON)
    assert response.status_code == 201


def test_user_without_roles_may_not_create_tokens(org):
    nobody = make_user(org, username="norole")
    response = logged_in(nobody).post("/api/v1/tokens", data={"name": "x"}, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert ApiToken.objects.count() == 0


# Session + CSRF -----------------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(org, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    refused = client.post("/api/v1/projects", data={"code": "P9", "name": "x"}, content_type=JSON)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert Project.objects.count() == 0
    # Reads need no CSRF token; the docs page hands one out.
    assert client.get("/api/v1/projects").status_code == 200
    client.get("/api/v1/docs")
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/projects",
        data={"code": "P9", "name": "x"},
        content_type=JSON,
        headers={"X-CSRFToken": csrf},
    )
    assert accepted.status_code == 201


# Error shape --------------------------------------------------------------------------------


def test_unknown_route_is_json_404(org, manager):
    response = logged_in(manager).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No such API endpoint.",
        "field": None,
    }


def test_non_numeric_id_is_json_404(org, manager):
    response = logged_in(manager).get("/api/v1/projects/abc")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_missing_object_is_json_404(org, manager):
    response = logged_in(manager).get("/api/v1/projects/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "project not found", "field": None}


def test_wrong_method_is_json_405(org, manager):
    response = logged_in(manager).put("/api/v1/projects", data={}, content_type=JSON)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response.json()["field"] is None
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


def test_malformed_json_is_400(org, manager):
    response = logged_in(manager).post("/api/v1/projects", data="{oops", content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_json",
        "message": "The request body is not valid JSON.",
        "field": None,
    }
    assert Project.objects.count() == 0


def test_unknown_body_field_is_422_naming_it(org, manager):
    response = logged_in(manager).post(
        "/api/v1/projects", data={"code": "P9", "name": "x", "colour": "red"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_field"
    assert response.json()["field"] == "colour"
    assert Project.objects.count() == 0


def test_missing_body_field_is_422_required(org, manager):
    response = logged_in(manager).post("/api/v1/projects", data={"code": "P9"}, content_type=JSON)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("required", "name")
    assert body["errors"] == [{"code": "required", "message": "Field required", "field": "name"}]


def test_missing_body_names_each_required_field(org, manager):
    response = logged_in(manager).post("/api/v1/projects", content_type=JSON)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("required", "code")
    assert [(e["code"], e["field"]) for e in body["errors"]] == [
        ("required", "code"),
        ("required", "name"),
    ]


def test_body_that_is_not_an_object_is_422(org, manager):
    response = logged_in(manager).post("/api/v1/projects", data="[1, 2]", content_type=JSON)
    assert response.status_code == 422
    assert response.json()["field"] is None
    assert Project.objects.count() == 0


def test_bad_query_parameter_is_422_naming_it(org, manager):
    response = logged_in(manager).get("/api/v1/units?floor=high")
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("invalid", "floor")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/leases?status=bogus",
        "/api/v1/units?status=bogus",
        "/api/v1/equipment?type=bogus",
        "/api/v1/customers?kind=bogus",
    ],
)
def test_unknown_choice_in_a_filter_is_422(org, manager, path):
    response = logged_in(manager).get(path)
    assert response.status_code == 422
    field = path.split("?")[1].split("=")[0]
    assert (response.json()["code"], response.json()["field"]) == ("invalid_choice", field)


def test_page_size_out_of_range_is_422(org, manager):
    response = logged_in(manager).get("/api/v1/projects?page_size=501")
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Page size must be between 1 and 500.",
        "field": "page_size",
    }


def test_chinese_text_is_sent_as_utf8(org, manager, portfolio):
    response = logged_in(manager).get("/api/v1/projects")
    assert "静安公寓".encode() in response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"


# OpenAPI and docs ---------------------------------------------------------------------------


def test_openapi_schema_lists_every_resource(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    paths = set(schema["paths"])
    for path in [
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
        "/api/v1/buildings",
        "/api/v1/units",
        "/api/v1/equipment",
        "/api/v1/customers",
        "/api/v1/leases",
        "/api/v1/leases/{lease_id}",
        "/api/v1/leases/{lease_id}/submit",
        "/api/v1/leases/{lease_id}/activate",
        "/api/v1/leases/{lease_id}/return-to-draft",
        "/api/v1/leases/{lease_id}/terminate",
        "/api/v1/leases/{lease_id}/void",
    ]:
        assert path in paths, path
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerTokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_docs_page_works_offline(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in sources
    assert "/static/ninja/swagger-ui.css" in sources
    assert [s for s in sources if re.match(r"^(https?:)?//", s)] == []
    assert "cdn" not in html.lower()
    # The bundled assets are served by the application itself.
    for path in ["/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui-init.js"]:
        asset = Client().get(path)
        assert asset.status_code == 200, path
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert b"cdn.jsdelivr" not in body
