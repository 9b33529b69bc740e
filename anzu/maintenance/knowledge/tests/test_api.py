from __future__ import annotations

from typing import Any

import pytest

from anzu.common.testing import make_user
from anzu.core.models import AuditEvent
from anzu.maintenance.knowledge.models import Article, QrKeyVersion

pytestmark = pytest.mark.urls("anzu.maintenance.knowledge.tests.urls")

TOILET = "water_electric.toilet_blocked"
BODY = {"category_code": TOILET, "title": "自建指南", "body": "1. 步骤", "position": 3}


def builtin_pk() -> int:
    return Article.objects.get(builtin_key="toilet_blocked.plunger").pk


def test_list_includes_builtin_articles(client: Any, cs: Any) -> None:
    client.force_login(cs)
    body = client.get("/api/v1/kb/articles").json()
    assert body["total"] == 9 and body["page"] == 1
    first = body["items"][0]
    assert set(first) == {
        "id",
        "builtin",
        "builtin_key",
        "overrides",
        "overridden_by",
        "category_code",
        "category",
        "title",
        "body",
        "safety_note",
        "is_published",
        "position",
        "version",
        "updated_at",
    }
    only = client.get("/api/v1/kb/articles", {"category_code": "lock.smart_lock"}).json()
    assert [i["builtin_key"] for i in only["items"]] == [
        "smart_lock.battery",
        "smart_lock.password",
    ]


def test_crud(client: Any, org: Any, cs: Any) -> None:
    client.force_login(cs)
    response = client.post("/api/v1/kb/articles", BODY, content_type="application/json")
    assert response.status_code == 201
    created = response.json()
    assert (created["builtin"], created["title"], created["version"], created["is_published"]) == (
        False,
        "自建指南",
        1,
        True,
    )
    pk = created["id"]
    response = client.patch(
        f"/api/v1/kb/articles/{pk}",
        {"version": 1, "title": "改名"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["version"]) == ("改名", 2)
    stale = client.patch(
        f"/api/v1/kb/articles/{pk}", {"version": 1, "title": "旧"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json() == {
        "code": "stale_version",
        "message": "The article was changed by someone else; reload and try again.",
        "field": "version",
    }
    assert client.get(f"/api/v1/kb/articles/{pk}").json()["title"] == "改名"
    assert client.delete(f"/api/v1/kb/articles/{pk}").status_code == 204
    assert not Article.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(action__startswith="kb_article.").count() == 3


def test_override_via_api(client: Any, org: Any, cs: Any) -> None:
    client.force_login(cs)
    response = client.post(f"/api/v1/kb/articles/{builtin_pk()}/override")
    assert response.status_code == 201
    assert response.json()["overrides"] == builtin_pk()
    detail = client.get(f"/api/v1/kb/articles/{builtin_pk()}").json()
    assert detail["overridden_by"] == response.json()["id"]
    again = client.post(f"/api/v1/kb/articles/{response.json()['id']}/override")
    assert again.status_code == 422 and again.json()["code"] == "not_builtin"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**BODY, "category_code": "nope"}, "category_code"),
        ({**BODY, "title": ""}, "title"),
        ({**BODY, "position": -1}, "position"),
        ({**BODY, "colour": "red"}, "colour"),
        ({k: v for k, v in BODY.items() if k != "body"}, "body"),
    ],
)
def test_bad_input_writes_nothing(
    client: Any, org: Any, cs: Any, payload: dict, field: str
) -> None:
    client.force_login(cs)
    response = client.post("/api/v1/kb/articles", payload, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Article.objects.filter(organization=org).exists()


def test_builtin_cannot_be_patched_or_deleted(client: Any, cs: Any) -> None:
    client.force_login(cs)
    pk = builtin_pk()
    response = client.patch(
        f"/api/v1/kb/articles/{pk}", {"version": 1, "title": "x"}, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["code"] == "builtin_readonly"
    assert client.delete(f"/api/v1/kb/articles/{pk}").status_code == 422
    assert Article.objects.get(pk=pk).title == "马桶堵塞：先用皮搋子疏通"


def test_access(client: Any, org: Any, other_org: Any, cs: Any) -> None:
    other = make_user(other_org, "customer_service", username="other-cs")
    client.force_login(other)
    foreign = client.post("/api/v1/kb/articles", BODY, content_type="application/json").json()["id"]
    client.force_login(cs)
    assert client.get(f"/api/v1/kb/articles/{foreign}").status_code == 404
    assert client.delete(f"/api/v1/kb/articles/{foreign}").status_code == 404
    patched = client.patch(
        f"/api/v1/kb/articles/{foreign}",
        {"version": 1, "title": "x"},
        content_type="application/json",
    )
    assert patched.status_code == 404
    assert client.get("/api/v1/kb/articles").json()["total"] == 9
    client.force_login(make_user(org, "engineer", username="eng"))
    assert client.get("/api/v1/kb/articles").status_code == 403
    response = client.post("/api/v1/kb/articles", BODY, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert Article.objects.filter(organization=org).count() == 0
    client.logout()
    assert client.get("/api/v1/kb/articles").status_code == 401


def test_rotate_via_api(client: Any, org: Any, manager: Any, cs: Any) -> None:
    client.force_login(cs)
    assert (
        client.post("/api/v1/kb/qr/rotate", {}, content_type="application/json").status_code == 403
    )
    client.force_login(manager)
    response = client.post(
        "/api/v1/kb/qr/rotate", {"max_age_days": 365}, content_type="application/json"
    )
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["max_age_days"]) == (2, 365)
    bad = client.post("/api/v1/kb/qr/rotate", {"max_age_days": 0}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "max_age_days"
    assert QrKeyVersion.objects.count() == 1
