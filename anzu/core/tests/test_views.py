"""Pages of the core app: login/logout, language, home per role, API tokens, admin, errors."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.urls import reverse

from anzu.common.testing import PASSWORD, lease_data, make_user
from anzu.core.models import ApiToken, AuditEvent, User
from anzu.core.tokens import token_authenticate, token_create
from anzu.leasing import services as leasing_services
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Login, logout, language -------------------------------------------------------------------------


def test_login_page_is_chinese_by_default_and_english_after_switching():
    client = Client()
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录安租" in html
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("login")
    assert '<html lang="en">' in html
    assert "Log in to Anzu" in html
    assert "登录安租" not in html


def test_pages_follow_the_language_switch(portfolio, manager):
    client = logged_in(manager)
    assert "租约状态" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert "Leases by status" in html
    assert "租约状态" not in html


def test_login_with_password_then_logout_is_post_only(org):
    make_user(org, "management", username="li")
    client = Client()
    response = client.post(reverse("login"), {"username": "li", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200  # still logged in
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_an_error_and_does_not_log_in(org):
    make_user(org, "management", username="li")
    client = Client()
    response = client.post(reverse("login"), {"username": "li", "password": "nope"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_anonymous_users_are_sent_to_login():
    response = Client().get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_zh_hans_catalogue_is_complete_and_compiled():
    po_path = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(po_path))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    compiled = {entry.msgid for entry in mo}
    assert {entry.msgid for entry in catalogue.translated_entries()} <= compiled


# Home and navigation per role ------------------------------------------------------------------


def test_home_for_management_shows_unit_and_lease_summaries_with_amounts(portfolio, manager):
    approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    response = logged_in(manager).get(reverse("home"))
    assert response.status_code == 200
    units = {row.status: row.count for row in response.context["unit_summary"]["by_status"]}
    assert units == {"vacant": 3, "reserved": 1, "occupied": 0, "maintenance": 0, "offline": 0}
    leases = {row.status: row.count for row in response.context["lease_summary"]["by_status"]}
    assert leases["draft"] == 1
    assert response.context["rent_roll"] is not None
    html = response.content.decode()
    assert "您的角色： 管理层" in html
    for label in ("首页", "房源", "租客", "租约", "API 令牌"):
        assert f">{label}</a>" in html


def test_home_for_frontline_is_scoped_and_hides_amounts(portfolio, org, manager):
    approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u3"], portfolio["customer"])
        )
    )
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    response = logged_in(frontline).get(reverse("home"))
    assert response.status_code == 200
    assert response.context["unit_summary"]["total"] == 2
    assert response.context["lease_summary"]["total"] == 0  # the lease is in project 2
    assert "rent_roll" not in response.context
    html = response.content.decode()
    assert "月租金合计" not in html
    assert ">导入</a>" not in html


def test_home_for_engineer_has_no_lease_section(portfolio, org):
    engineer = make_user(org, "engineer")
    response = logged_in(engineer).get(reverse("home"))
    assert response.status_code == 200
    assert "lease_summary" not in response.context
    html = response.content.decode()
    assert ">租约</a>" not in html
    assert ">房源</a>" in html


def test_home_for_a_superuser_without_organization_links_to_admin(db):
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    response = logged_in(root).get(reverse("home"))
    assert response.status_code == 200
    assert reverse("admin:index") in response.content.decode()


# API tokens ---------------------------------------------------------------------------------------


def test_token_is_shown_once_then_listed_by_prefix_only(manager):
    client = logged_in(manager)
    assert client.get(reverse("tokens")).status_code == 200
    response = client.post(reverse("tokens"), {"name": "对账脚本", "expires_in_days": "30"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw.startswith("anzu_")
    assert raw in response.content.decode()
    assert token_authenticate(raw) == manager
    token = ApiToken.objects.get(user=manager)
    assert token.name == "对账脚本"
    assert token.expires_at is not None
    assert "no-store" in response["Cache-Control"]
    again = client.get(reverse("tokens")).content.decode()
    assert raw not in again
    assert token.prefix in again


def test_token_form_errors_are_on_the_field_and_nothing_is_created(manager):
    response = logged_in(manager).post(reverse("tokens"), {"name": "", "expires_in_days": "0"})
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"name", "expires_in_days"}
    assert ApiToken.objects.count() == 0


def test_revoke_token_and_another_users_token_is_404(org, manager):
    token, raw = token_create(user=manager, name="t1")
    other = make_user(org, "finance")
    other_token, _ = token_create(user=other, name="t2")
    client = logged_in(manager)
    response = client.post(reverse("token_revoke", args=[other_token.pk]))
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=other_token.pk).revoked_at is None
    response = client.post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert response.status_code == 200
    assert token_authenticate(raw) is None
    assert "已吊销" in response.content.decode()
    assert client.get(reverse("token_revoke", args=[token.pk])).status_code == 405


# Admin ---------------------------------------------------------------------------------------------


def test_admin_opens_for_superusers_only(org):
    staff_flag = make_user(org, "admin", username="staffer", is_staff=True)
    response = logged_in(staff_flag).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert logged_in(staff_flag).get("/admin/leasing/lease/").status_code == 302
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    assert logged_in(root).get("/admin/").status_code == 200


def test_audit_events_are_read_only_in_admin(portfolio, manager):
    approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    event = AuditEvent.objects.first()
    assert event is not None
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = logged_in(root)
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    change_url = f"/admin/core/auditevent/{event.pk}/change/"
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change_url, {"action": "tampered"}).status_code == 403
    assert client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_admin_pages_for_every_registered_model_render(portfolio, manager):
    approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = logged_in(root)
    for path in (
        "/admin/core/organization/",
        "/admin/core/user/",
        "/admin/core/apitoken/",
        "/admin/core/counter/",
        "/admin/portfolio/project/",
        "/admin/portfolio/building/",
        "/admin/portfolio/unit/",
        "/admin/portfolio/equipment/",
        "/admin/leasing/customer/",
        "/admin/leasing/lease/",
    ):
        assert client.get(path).status_code == 200, path
    customer_page = client.get(f"/admin/leasing/customer/{portfolio['customer'].pk}/change/")
    assert portfolio["customer"].id_number not in customer_page.content.decode()
    assert client.get("/admin/leasing/lease/add/").status_code == 403


# Errors ---------------------------------------------------------------------------------------------


def test_unknown_page_renders_the_404_template(manager):
    response = logged_in(manager).get("/no/such/page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_tenant_accounts_get_403_on_staff_pages(portfolio):
    from anzu.common.testing import make_tenant

    tenant = make_tenant(portfolio["customer"])
    client = logged_in(tenant)
    response = client.get(reverse("portfolio:tree"))
    assert response.status_code == 403
    assert "无权操作" in response.content.decode()
    assert client.get(reverse("tokens")).status_code == 403


def test_no_page_loads_anything_from_another_host(manager):
    html = logged_in(manager).get(reverse("home")).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]


def test_server_error_page_renders_without_context(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器错误" in html
    assert "Server error" in html


def test_new_lease_link_from_a_customer_preselects_them(portfolio, manager):
    customer = portfolio["customer"]
    client = logged_in(manager)
    page = client.get(reverse("leasing:customer_detail", args=[customer.pk]))
    link = reverse("leasing:lease_create") + f"?customer={customer.pk}"
    assert link in page.content.decode()
    form_page = client.get(link).content.decode()
    assert f'<option value="{customer.pk}" selected>' in form_page


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        ("admin", {"home", "portfolio:tree", "onboarding:import", "user_list"}, set()),
        ("management", {"leasing:lease_list", "onboarding:import"}, {"user_list"}),
        ("frontline", {"portfolio:tree", "leasing:lease_list", "tokens"}, {"onboarding:import"}),
        ("engineer", {"portfolio:tree", "tokens"}, {"leasing:customer_list", "leasing:lease_list"}),
    ],
)
def test_menu_by_role(org, role, present, absent):
    from anzu.core.navigation import menu_for

    names = {item.url_name for item in menu_for(make_user(org, role))}
    assert present <= names
    assert not names & absent
    assert all(item.url for item in menu_for(make_user(org, role)))


def test_current_section_is_highlighted(portfolio, manager):
    html = logged_in(manager).get(reverse("leasing:lease_create")).content.decode()
    assert re.search(r'href="/leasing/leases/" aria-current="page">租约<', html)
    assert 'aria-current="page">租客<' not in html
