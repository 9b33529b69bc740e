"""Customer and lease pages: lists, filters, forms, actions, masking, scope, field errors."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anzu.common.testing import (
    BuildingFactory,
    CustomerFactory,
    ProjectFactory,
    UnitFactory,
    lease_data,
    make_user,
    resident_id,
)
from anzu.core.models import AuditEvent, User
from anzu.leasing import services
from anzu.leasing.models import Customer, Lease
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_html(html: str, name: str) -> str:
    """The rendered block of one form field (label, input, errors)."""
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>', html, re.S)
    assert match, f"field {name} not rendered"
    return match.group(1)


def field_errors(html: str, name: str) -> list[str]:
    return re.findall(r'<p class="field-error" role="alert">(.*?)</p>', field_html(html, name))


def lease_form(portfolio: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {
        "building": portfolio["b1"].pk,
        "unit_code": "101",
        "customer_id": portfolio["customer"].pk,
        "code": "",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "monthly_rent": "3200.00",
        "deposit_months": "1",
        "pay_months": "1",
        "deposit": "",
        "due_day_rule": "days_before_period",
        "due_day_value": "0",
        "rent_free_periods": "",
        "escalation_pct": "",
        "escalation_every_months": "",
        "late_fee_daily_rate": "",
        "late_fee_grace_days": "0",
        "notes": "",
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, int]:
    return Lease.objects.count(), AuditEvent.objects.count()


# Customers ----------------------------------------------------------------------------------------


def test_customer_list_search_kind_tag_and_pagination(org, manager):
    for n in range(30):
        CustomerFactory(organization=org, name=f"王{n:02d}", tags=["学生"] if n % 2 else [])
    CustomerFactory(
        organization=org, name="安居科技有限公司", kind="company", id_type="uscc", tags=["企业"]
    )
    client = logged_in(manager)
    response = client.get(reverse("leasing:customer_list"))
    assert response.status_code == 200
    assert response.context["page"].total == 31
    assert len(response.context["rows"]) == 25
    page2 = client.get(reverse("leasing:customer_list"), {"page": 2})
    assert len(page2.context["rows"]) == 6
    found = client.get(reverse("leasing:customer_list"), {"q": "王0"})
    assert [r["name"] for r in found.context["rows"]] == [f"王0{n}" for n in range(10)]
    companies = client.get(reverse("leasing:customer_list"), {"kind": "company"})
    assert [r["name"] for r in companies.context["rows"]] == ["安居科技有限公司"]
    students = client.get(reverse("leasing:customer_list"), {"tag": "学生"})
    assert students.context["page"].total == 15
    assert all("学生" in r["tags"] for r in students.context["rows"])
    filtered = client.get(reverse("leasing:customer_list"), {"tag": "学生", "page": 1})
    assert "tag=%E5%AD%A6%E7%94%9F" in filtered.context["qs"]


def test_customer_list_masks_personal_data_for_frontline(portfolio, org, manager):
    customer = portfolio["customer"]
    approve_as(services.lease_create(by=manager, data=lease_data(portfolio["u1"], customer)))
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    html = logged_in(frontline).get(reverse("leasing:customer_list")).content.decode()
    assert customer.name in html
    assert customer.id_number not in html
    assert customer.phone not in html
    assert customer.id_number[-4:] in html
    finance = make_user(org, "finance")
    html = logged_in(finance).get(reverse("leasing:customer_list")).content.decode()
    assert customer.id_number in html


def test_customer_detail_lists_leases_and_other_org_is_404(portfolio, other_org, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    client = logged_in(manager)
    response = client.get(reverse("leasing:customer_detail", args=[portfolio["customer"].pk]))
    assert response.status_code == 200
    assert lease.code in response.content.decode()
    foreign = CustomerFactory(organization=other_org)
    assert client.get(reverse("leasing:customer_detail", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("leasing:customer_edit", args=[foreign.pk])).status_code == 404


def test_customer_detail_out_of_scope_is_404(portfolio, org):
    stranger = CustomerFactory(organization=org, project=portfolio["p2"])
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    response = logged_in(frontline).get(reverse("leasing:customer_detail", args=[stranger.pk]))
    assert response.status_code == 404


def test_create_customer(manager, portfolio):
    client = logged_in(manager)
    assert client.get(reverse("leasing:customer_create")).status_code == 200
    response = client.post(
        reverse("leasing:customer_create"),
        {
            "kind": "person",
            "name": "韩梅梅",
            "id_type": "resident_id",
            "id_number": resident_id(901),
            "phone": "13912345678",
            "email": "",
            "tags": "学生, 长租",
            "project_id": portfolio["p1"].pk,
            "notes": "",
        },
    )
    customer = Customer.objects.get(name="韩梅梅")
    assert response.status_code == 302
    assert response["Location"] == reverse("leasing:customer_detail", args=[customer.pk])
    assert customer.tags == ["学生", "长租"]
    assert customer.project == portfolio["p1"]
    assert customer.phone == "13912345678"


def test_create_customer_with_bad_id_number_shows_the_error_on_that_field(manager):
    before = Customer.objects.count()
    response = logged_in(manager).post(
        reverse("leasing:customer_create"),
        {
            "kind": "person",
            "name": "韩梅梅",
            "id_type": "resident_id",
            "id_number": "310101199005170000",
            "phone": "13912345678",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert field_errors(html, "id_number") == ["证件号码的校验位错误。"]
    assert 'value="310101199005170000"' in field_html(html, "id_number")
    assert 'value="韩梅梅"' in field_html(html, "name")
    assert Customer.objects.count() == before


def test_frontline_edits_a_customer_without_seeing_or_losing_personal_data(portfolio, org):
    customer = portfolio["customer"]
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    client = logged_in(frontline)
    page = client.get(reverse("leasing:customer_edit", args=[customer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert customer.id_number not in html
    assert customer.phone not in html
    response = client.post(
        reverse("leasing:customer_edit", args=[customer.pk]),
        {
            "kind": "person",
            "name": "李雷雷",
            "id_type": "resident_id",
            "id_number": "",
            "phone": "",
            "tags": "老客户",
            "project_id": portfolio["p1"].pk,
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "李雷雷"
    assert customer.tags == ["老客户"]
    assert customer.id_number == portfolio["customer"].id_number
    assert customer.phone == portfolio["customer"].phone


def test_engineer_cannot_open_customers(org):
    engineer = make_user(org, "engineer")
    client = logged_in(engineer)
    assert client.get(reverse("leasing:customer_list")).status_code == 403
    assert client.get(reverse("leasing:customer_create")).status_code == 403


# Lease list -------------------------------------------------------------------------------------


def _three_leases(portfolio: dict[str, Any], manager: User) -> list[Lease]:
    customer = portfolio["customer"]
    other = CustomerFactory(organization=customer.organization, name="韩梅梅")
    first = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], customer))
    )
    second = approve_as(
        services.lease_create(
            by=manager,
            data=lease_data(portfolio["u2"], other, start_date="2026-03-01", end_date="2027-02-28"),
        )
    )
    third = approve_as(
        services.lease_create(
            by=manager,
            data=lease_data(
                portfolio["u3"], customer, start_date="2026-06-01", end_date="2026-11-30"
            ),
        )
    )
    services.lease_submit(lease=third, by=manager)
    return [first, second, third]


def test_lease_list_filters(portfolio, manager):
    first, second, third = _three_leases(portfolio, manager)
    client = logged_in(manager)
    url = reverse("leasing:lease_list")

    def codes(**params: Any) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [row["code"] for row in response.context["rows"]]

    assert codes() == [third.code, second.code, first.code]
    assert codes(status="pending_approval") == [third.code]
    assert codes(project=portfolio["p1"].pk) == [second.code, first.code]
    assert codes(building=portfolio["b2"].pk) == [third.code]
    assert codes(unit_code="102") == [second.code]
    assert codes(customer="韩梅") == [second.code]
    assert codes(start_from="2026-02-01") == [third.code, second.code]
    assert codes(start_to="2026-02-01") == [first.code]
    assert codes(end_from="2027-01-01") == [second.code]
    assert codes(end_to="2026-11-30") == [third.code]
    assert codes(start_from="not-a-date") == [third.code, second.code, first.code]
    html = client.get(url).content.decode()
    assert "¥3,200.00" in html


def test_lease_list_paginates(portfolio, manager):
    unit = portfolio["u1"]
    for year in range(2030, 2057):
        approve_as(
            services.lease_create(
                by=manager,
                data=lease_data(
                    unit,
                    portfolio["customer"],
                    start_date=f"{year}-01-01",
                    end_date=f"{year}-12-31",
                ),
            )
        )
    client = logged_in(manager)
    first = client.get(reverse("leasing:lease_list"))
    assert len(first.context["rows"]) == 25
    assert first.context["page"].pages == 2
    second = client.get(reverse("leasing:lease_list"), {"page": "2"})
    assert len(second.context["rows"]) == 2
    beyond = client.get(reverse("leasing:lease_list"), {"page": "99"})
    assert beyond.status_code == 200
    assert len(beyond.context["rows"]) == 2


def test_lease_list_for_frontline_is_scoped_and_has_no_amounts(portfolio, org, manager):
    third = _three_leases(portfolio, manager)[2]
    frontline = make_user(org, "frontline", projects=[portfolio["p2"]])
    response = logged_in(frontline).get(reverse("leasing:lease_list"))
    assert [row["code"] for row in response.context["rows"]] == [third.code]
    html = response.content.decode()
    assert "¥" not in html
    assert "3,200" not in html
    assert "新建租约" not in html


# Lease detail -----------------------------------------------------------------------------------


def test_lease_detail_with_amounts_and_actions(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    response = logged_in(manager).get(reverse("leasing:lease_detail", args=[lease.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥3,200.00" in html
    assert "押1付1" in html
    assert response.context["actions"] == {
        "edit": True,
        "submit": True,
        "activate": False,
        "return_to_draft": False,
        "terminate": False,
        "void": True,
    }


def test_lease_detail_for_frontline_hides_amounts_and_actions(portfolio, org, manager):
    lease = approve_as(
        services.lease_create(
            by=manager,
            data=lease_data(portfolio["u1"], portfolio["customer"], notes="内部备注：可议价"),
        )
    )
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    response = logged_in(frontline).get(reverse("leasing:lease_detail", args=[lease.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for secret in ("3,200", "3200", "¥", "可议价"):
        assert secret not in html
    assert "您的角色不可查看" in html
    assert not any(response.context["actions"].values())


def test_lease_of_another_org_or_out_of_scope_is_404(portfolio, org, other_org, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u3"], portfolio["customer"]))
    )
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    assert (
        logged_in(frontline).get(reverse("leasing:lease_detail", args=[lease.pk])).status_code
        == 404
    )
    outsider = make_user(other_org, "management")
    client = logged_in(outsider)
    assert client.get(reverse("leasing:lease_detail", args=[lease.pk])).status_code == 404
    assert client.get(reverse("leasing:lease_edit", args=[lease.pk])).status_code == 404
    response = client.post(
        reverse("leasing:lease_action", args=[lease.pk, "void"]),
        {"version": lease.version, "reason": "x"},
    )
    assert response.status_code == 404
    assert Lease.objects.get(pk=lease.pk).status == "draft"


# Lease create -----------------------------------------------------------------------------------


def test_create_form_prefills_the_unit(portfolio, manager):
    response = logged_in(manager).get(reverse("leasing:lease_create"), {"unit": portfolio["u2"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="102"' in field_html(html, "unit_code")
    assert f'<option value="{portfolio["b1"].pk}" selected>' in field_html(html, "building")
    assert '<span class="req"' in field_html(html, "start_date")


def approved_from(response: Any) -> Any:
    """The page said "submitted for approval": a second person approves the request."""
    assert response.status_code == 302
    request = ApprovalRequest.objects.order_by("-id").first()
    assert request is not None
    assert response["Location"] == reverse("approvals:detail", args=[request.pk])
    assert request.status == "pending"
    return approve_as(request)


def test_create_lease_through_the_form(portfolio, manager):
    response = logged_in(manager).post(reverse("leasing:lease_create"), lease_form(portfolio))
    assert not Lease.objects.exists()
    approved_from(response)
    lease = Lease.objects.get()
    assert lease.unit == portfolio["u1"]
    assert lease.created_by == manager
    assert lease.monthly_rent == Decimal("3200.00")
    assert lease.deposit == Decimal("3200.00")
    assert lease.status == "draft"


def test_create_lease_with_rent_free_periods(portfolio, manager):
    response = logged_in(manager).post(
        reverse("leasing:lease_create"),
        lease_form(portfolio, rent_free_periods="2026-01-01 ~ 2026-01-15\n"),
    )
    approved_from(response)
    assert Lease.objects.get().rent_free_periods == [{"start": "2026-01-01", "end": "2026-01-15"}]


def test_end_before_start_is_shown_under_the_end_date_and_nothing_is_written(portfolio, manager):
    before = counts()
    response = logged_in(manager).post(
        reverse("leasing:lease_create"),
        lease_form(portfolio, start_date="2026-06-01", end_date="2026-05-01", notes="保留我"),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert field_errors(html, "end_date") == ["结束日期早于开始日期。"]
    assert field_errors(html, "start_date") == []
    assert 'value="2026-05-01"' in field_html(html, "end_date")
    assert 'value="2026-06-01"' in field_html(html, "start_date")
    assert "保留我" in field_html(html, "notes")
    assert response.context["form"].errors["end_date"] == ["结束日期早于开始日期。"]
    assert counts() == before


def test_overlap_is_shown_under_the_start_date_naming_the_other_lease(portfolio, manager):
    first = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    before = counts()
    response = logged_in(manager).post(
        reverse("leasing:lease_create"),
        lease_form(portfolio, start_date="2026-06-01", end_date="2027-05-31"),
    )
    assert response.status_code == 422
    errors = field_errors(response.content.decode(), "start_date")
    assert errors == [f"该房间在 2026-01-01 至 2026-12-31 已被租约 {first.code} 占用。"]
    leases, events = before
    assert counts() == (leases, events + 1)  # only the refusal's audit event
    assert AuditEvent.objects.latest("id").action == "lease.create_refused"


def test_overlap_message_in_english(portfolio, manager):
    first = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    client = logged_in(manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(
        reverse("leasing:lease_create"), lease_form(portfolio, start_date="2026-06-01")
    )
    assert field_errors(response.content.decode(), "start_date") == [
        f"The unit is already leased from 2026-01-01 to 2026-12-31 by lease {first.code}."
    ]


def test_unknown_unit_code_and_missing_fields_are_field_errors(portfolio, manager):
    before = counts()
    response = logged_in(manager).post(
        reverse("leasing:lease_create"),
        lease_form(portfolio, unit_code="999", monthly_rent="", customer_id=""),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"unit_code", "monthly_rent", "customer_id"}
    assert errors["unit_code"] == ["该楼栋中没有此房间号。"]
    assert counts() == before


def test_out_of_scope_unit_cannot_be_leased(portfolio, org):
    finance = make_user(org, "finance", projects=[portfolio["p1"]])
    before = counts()
    response = logged_in(finance).post(
        reverse("leasing:lease_create"),
        lease_form(portfolio, building=portfolio["b2"].pk, unit_code="201"),
    )
    assert response.status_code == 422
    assert "building" in response.context["form"].errors
    assert counts() == before


def test_frontline_cannot_open_the_lease_form(portfolio, org):
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    client = logged_in(frontline)
    assert client.get(reverse("leasing:lease_create")).status_code == 403
    before = counts()
    assert client.post(reverse("leasing:lease_create"), lease_form(portfolio)).status_code == 403
    assert counts() == before


# Lease edit -------------------------------------------------------------------------------------


def test_edit_lease_passes_the_version(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    client = logged_in(manager)
    page = client.get(reverse("leasing:lease_edit", args=[lease.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="version" value="1"' in html
    assert 'value="3200.00"' in field_html(html, "monthly_rent")
    data = lease_form(portfolio, monthly_rent="3500.00", version="1", deposit="3200.00")
    response = client.post(reverse("leasing:lease_edit", args=[lease.pk]), data)
    assert response.status_code == 302
    lease.refresh_from_db()
    assert lease.monthly_rent == Decimal("3500.00")
    assert lease.version == 2


def test_stale_edit_is_refused_and_input_kept(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_update(lease=lease, by=manager, data={"monthly_rent": "3300"})
    before = counts()
    response = logged_in(manager).post(
        reverse("leasing:lease_edit", args=[lease.pk]),
        lease_form(portfolio, monthly_rent="3900.00", version="1"),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "该租约已被他人修改，请刷新后重试。" in html
    assert 'value="3900.00"' in field_html(html, "monthly_rent")
    assert counts() == before
    assert Lease.objects.get(pk=lease.pk).monthly_rent == Decimal("3300.00")


def test_edit_with_end_before_start_names_the_field(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    before = counts()
    response = logged_in(manager).post(
        reverse("leasing:lease_edit", args=[lease.pk]),
        lease_form(portfolio, end_date="2025-01-01", version="1"),
    )
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "end_date") == ["结束日期早于开始日期。"]
    assert counts() == before


# Lease actions ----------------------------------------------------------------------------------


def test_submit_activate_terminate_through_the_pages(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    client = logged_in(manager)

    def act(action: str, **data: Any) -> Any:
        lease.refresh_from_db()
        data.setdefault("version", lease.version)
        return client.post(reverse("leasing:lease_action", args=[lease.pk, action]), data)

    assert act("submit").status_code == 302
    assert Lease.objects.get(pk=lease.pk).status == "pending_approval"
    assert act("return_to_draft").status_code == 302
    assert Lease.objects.get(pk=lease.pk).status == "draft"
    act("submit")
    approved_from(act("activate"))
    assert Lease.objects.get(pk=lease.pk).status == "active"

    before = counts()
    response = act("terminate", terminated_on="2025-12-01", termination_reason="提前退租")
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="field-terminated_on">.*?退租日期早于租约开始日期。', html, re.S), (
        "error not under the termination date"
    )
    assert counts() == before

    response = act("terminate", terminated_on="2026-03-31", termination_reason="提前退租")
    assert response.status_code == 302
    lease.refresh_from_db()
    assert lease.status == "terminated"
    assert lease.terminated_on == dt.date(2026, 3, 31)
    page = client.get(reverse("leasing:lease_detail", args=[lease.pk]))
    assert "已退租" in page.content.decode()


def test_void_needs_a_reason_and_releases_the_unit(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    client = logged_in(manager)
    url = reverse("leasing:lease_action", args=[lease.pk, "void"])
    response = client.post(url, {"version": lease.version, "reason": ""})
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "reason")
    assert Lease.objects.get(pk=lease.pk).status == "draft"
    response = client.post(url, {"version": lease.version, "reason": "客户放弃"})
    assert response.status_code == 302
    lease.refresh_from_db()
    assert lease.status == "void"
    assert lease.termination_reason == "客户放弃"


def test_illegal_or_stale_action_shows_a_message_and_changes_nothing(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    client = logged_in(manager)
    response = client.post(
        reverse("leasing:lease_action", args=[lease.pk, "activate"]),
        {"version": lease.version},
        follow=True,
    )
    assert "不能将状态从“草稿”改为“生效中”。" in response.content.decode()
    response = client.post(
        reverse("leasing:lease_action", args=[lease.pk, "submit"]), {"version": 99}, follow=True
    )
    assert "该租约已被他人修改" in response.content.decode()
    assert Lease.objects.get(pk=lease.pk).status == "draft"
    assert (
        client.post(reverse("leasing:lease_action", args=[lease.pk, "explode"])).status_code == 404
    )
    assert client.get(reverse("leasing:lease_action", args=[lease.pk, "submit"])).status_code == 405


def test_finance_cannot_activate(portfolio, org, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_submit(lease=lease, by=manager)
    finance = make_user(org, "finance")
    response = logged_in(finance).post(
        reverse("leasing:lease_action", args=[lease.pk, "activate"]), {"version": 2}
    )
    assert response.status_code == 403
    assert Lease.objects.get(pk=lease.pk).status == "pending_approval"


def test_lease_pages_in_another_building_of_other_org_units(other_org, manager):
    foreign_unit = UnitFactory(
        building=BuildingFactory(project=ProjectFactory(organization=other_org))
    )
    response = logged_in(manager).get(reverse("leasing:lease_create"), {"unit": foreign_unit.pk})
    assert response.status_code == 200
    assert 'value="' + foreign_unit.code + '"' not in response.content.decode()


# Customer picker ----------------------------------------------------------------------------


def test_customer_picker_searches_by_name_within_the_organization(portfolio, other_org, manager):
    org = portfolio["customer"].organization
    for n in range(60):
        CustomerFactory(organization=org, name=f"王{n:02d}")
    CustomerFactory(organization=other_org, name="王外人")
    client = logged_in(manager)
    url = reverse("leasing:customer_options")
    everyone = client.get(url)
    assert everyone.status_code == 200
    assert len(everyone.context["choices"]) == 50
    found = client.get(url, {"customer_q": "王5"})
    labels = [label for _pk, label in found.context["choices"]]
    assert [label.split(" · ")[0] for label in labels] == [f"王5{n}" for n in range(10)]
    html = client.get(url, {"customer_q": "王"}).content.decode()
    assert "王外人" not in html
    # Labels come from the presenter: management sees masked phone numbers.
    assert "****" in labels[0]


def test_lease_form_keeps_a_customer_beyond_the_first_page_of_choices(portfolio, manager):
    org = portfolio["customer"].organization
    for n in range(60):
        CustomerFactory(organization=org, name=f"阿{n:02d}")
    late = CustomerFactory(organization=org, name="赵六")
    client = logged_in(manager)
    response = client.post(
        reverse("leasing:lease_create"),
        lease_form(portfolio, customer_id=late.pk, end_date="2025-01-01"),
    )
    assert response.status_code == 422
    assert f'<option value="{late.pk}" selected>' in field_html(
        response.content.decode(), "customer_id"
    )
    response = client.post(
        reverse("leasing:lease_create"), lease_form(portfolio, customer_id=late.pk)
    )
    approved_from(response)
    assert Lease.objects.get().customer == late


def test_lease_form_refuses_a_customer_of_another_org(portfolio, other_org, manager):
    foreign = CustomerFactory(organization=other_org)
    before = counts()
    response = logged_in(manager).post(
        reverse("leasing:lease_create"), lease_form(portfolio, customer_id=foreign.pk)
    )
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "customer_id") == ["租客不存在。"]
    assert counts() == before


def test_frontline_cannot_use_the_customer_picker(portfolio, org):
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    assert logged_in(frontline).get(reverse("leasing:customer_options")).status_code == 403
