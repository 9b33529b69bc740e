from __future__ import annotations

from typing import Any

import pytest

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import make_user
from anzu.core.models import AuditEvent
from anzu.maintenance.knowledge import selectors, services
from anzu.maintenance.knowledge.builtin import BUILTIN_ARTICLES
from anzu.maintenance.knowledge.models import Article

pytestmark = pytest.mark.urls("anzu.maintenance.knowledge.tests.urls")

TOILET = "water_electric.toilet_blocked"
VALID = {
    "category_code": TOILET,
    "title": "本公司马桶指南",
    "body": "第一段\n\n1. 步骤一\n2. 步骤二",
    "safety_note": "注意安全",
    "is_published": "on",
    "position": "5",
}


def builtin(key: str = "toilet_blocked.plunger") -> Article:
    return Article.objects.get(organization__isnull=True, builtin_key=key)


def test_builtin_articles_cover_the_required_topics() -> None:
    codes = {a["category_code"] for a in BUILTIN_ARTICLES}
    assert {
        "water_electric.toilet_blocked",
        "water_electric.breaker_tripped",
        "water_electric.no_hot_water",
        "lock.smart_lock",
        "appliance.ac_not_cooling",
        "network.wifi",
        "water_electric.leak",
        "lock.access_card",
    } <= codes
    assert Article.objects.filter(organization__isnull=True).count() == len(BUILTIN_ARTICLES) == 9
    assert all(a["safety_note"] for a in BUILTIN_ARTICLES)
    assert services.articles_ensure_builtin() == 0


@pytest.mark.parametrize("role", ["admin", "management", "customer_service"])
def test_editor_roles_see_the_index(client: Any, org: Any, role: str) -> None:
    client.force_login(make_user(org, role, username=f"u-{role}"))
    response = client.get("/kb/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "马桶堵塞：先用皮搋子疏通" in html
    assert 'id="deflection-table"' in html


@pytest.mark.parametrize("role", ["frontline", "engineer", "finance", "legal"])
def test_other_roles_are_refused(client: Any, org: Any, role: str) -> None:
    client.force_login(make_user(org, role, username=f"u-{role}"))
    assert client.get("/kb/").status_code == 403
    assert client.get("/kb/articles/new/").status_code == 403
    assert client.get(f"/kb/articles/{builtin().pk}/").status_code == 403


def test_anonymous_is_sent_to_login(client: Any, db: Any) -> None:
    response = client.get("/kb/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_article_page(client: Any, org: Any, cs: Any) -> None:
    client.force_login(cs)
    response = client.post("/kb/articles/new/", VALID)
    article = Article.objects.get(organization=org)
    assert response.status_code == 302
    assert response["Location"] == f"/kb/articles/{article.pk}/"
    assert (article.title, article.position, article.is_published, article.version) == (
        "本公司马桶指南",
        5,
        True,
        1,
    )
    assert article.updated_by == cs
    event = AuditEvent.objects.get(action="kb_article.create")
    assert event.object_id == str(article.pk) and event.organization_id == org.pk
    published = selectors.articles_for_category(org.pk, TOILET)
    assert [a.pk for a in published] == [article.pk, builtin().pk]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": " "}, "body"),
        ({"category_code": "nope"}, "category_code"),
    ],
)
def test_bad_article_writes_nothing(
    client: Any, org: Any, cs: Any, change: dict, field: str
) -> None:
    client.force_login(cs)
    response = client.post("/kb/articles/new/", {**VALID, **change})
    assert response.status_code == 422
    assert f'id="field-{field}"' in response.content.decode()
    assert 'class="field has-error" id="field-' + field in response.content.decode()
    assert not Article.objects.filter(organization=org).exists()
    assert not AuditEvent.objects.filter(action="kb_article.create").exists()


def test_edit_article_bumps_version_and_refuses_stale(client: Any, org: Any, cs: Any) -> None:
    article = services.article_create(
        data={k: v for k, v in VALID.items() if k != "is_published"}, by=cs
    )
    client.force_login(cs)
    response = client.post(
        f"/kb/articles/{article.pk}/", {**VALID, "title": "新标题", "version": "1"}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.version) == ("新标题", 2)
    event = AuditEvent.objects.get(action="kb_article.update")
    assert event.changes["title"] == ["本公司马桶指南", "新标题"]
    response = client.post(
        f"/kb/articles/{article.pk}/", {**VALID, "title": "旧页面", "version": "1"}
    )
    assert response.status_code == 409
    assert "指南已被他人修改，请刷新后重试。" in response.content.decode()
    article.refresh_from_db()
    assert (article.title, article.version) == ("新标题", 2)


def test_override_replaces_the_builtin_for_the_organization_only(
    client: Any, org: Any, other_org: Any, cs: Any
) -> None:
    original = builtin()
    client.force_login(cs)
    page = client.get(f"/kb/articles/{original.pk}/")
    assert page.status_code == 200 and "为本公司定制" in page.content.decode()
    response = client.post(f"/kb/articles/{original.pk}/override/")
    copy = Article.objects.get(organization=org)
    assert response["Location"] == f"/kb/articles/{copy.pk}/"
    assert (copy.overrides, copy.title, copy.body) == (original, original.title, original.body)
    assert [a.pk for a in selectors.articles_for_category(org.pk, TOILET)] == [copy.pk]
    assert [a.pk for a in selectors.articles_for_category(other_org.pk, TOILET)] == [original.pk]
    # Overriding twice returns the same copy.
    client.post(f"/kb/articles/{original.pk}/override/")
    assert Article.objects.filter(organization=org).count() == 1
    # An unpublished override hides the built-in article.
    client.post(f"/kb/articles/{copy.pk}/", {**VALID, "is_published": "", "version": "1"})
    assert selectors.articles_for_category(org.pk, TOILET) == []
    # Deleting the override brings the built-in back.
    assert client.post(f"/kb/articles/{copy.pk}/delete/").status_code == 302
    assert [a.pk for a in selectors.articles_for_category(org.pk, TOILET)] == [original.pk]
    assert AuditEvent.objects.filter(action="kb_article.delete").count() == 1


def test_builtin_articles_are_read_only(client: Any, cs: Any) -> None:
    original = builtin()
    client.force_login(cs)
    response = client.post(f"/kb/articles/{original.pk}/", {**VALID, "version": "1"})
    assert response.status_code == 200  # the read-only page; nothing changed
    original.refresh_from_db()
    assert original.title == "马桶堵塞：先用皮搋子疏通"
    assert client.post(f"/kb/articles/{original.pk}/delete/").status_code == 404
    with pytest.raises(ValidationFailed):
        services.article_update(article=original, data={"title": "x"}, version=1, by=cs)
    with pytest.raises(ValidationFailed):
        services.article_delete(article=original, by=cs)
    assert Article.objects.filter(pk=original.pk).exists()


def test_other_organizations_article_is_404(client: Any, org: Any, other_org: Any, cs: Any) -> None:
    other_cs = make_user(other_org, "customer_service", username="other-cs")
    foreign = services.article_create(
        data={k: v for k, v in VALID.items() if k != "is_published"}, by=other_cs
    )
    client.force_login(cs)
    assert client.get(f"/kb/articles/{foreign.pk}/").status_code == 404
    assert client.post(f"/kb/articles/{foreign.pk}/", {**VALID, "version": "1"}).status_code == 404
    assert client.post(f"/kb/articles/{foreign.pk}/delete/").status_code == 404
    assert client.post(f"/kb/articles/{foreign.pk}/override/").status_code == 404
    assert f"/kb/articles/{foreign.pk}/" not in client.get("/kb/").content.decode()
    foreign.refresh_from_db()
    assert foreign.version == 1


def test_services_check_the_capability(org: Any) -> None:
    engineer = make_user(org, "engineer", username="eng")
    with pytest.raises(PermissionDenied):
        services.article_create(data=VALID, by=engineer)
    with pytest.raises(PermissionDenied):
        services.article_override(builtin=builtin(), by=engineer)
    assert not Article.objects.filter(organization=org).exists()


def test_update_service_refuses_stale_version(cs: Any) -> None:
    article = services.article_create(
        data={k: v for k, v in VALID.items() if k != "is_published"}, by=cs
    )
    with pytest.raises(Conflict) as exc:
        services.article_update(article=article, data={"title": "x"}, version=7, by=cs)
    assert exc.value.field == "version"
