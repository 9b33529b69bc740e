"""Portfolio pages: tree, building grid, unit page — scope, status colours, amounts, speed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from anzu.common.testing import (
    BuildingFactory,
    EquipmentFactory,
    ProjectFactory,
    UnitFactory,
    lease_data,
    make_user,
)
from anzu.core.models import User
from anzu.leasing import services as leasing_services
from anzu.portfolio.models import Unit
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_tree_lists_projects_buildings_and_status_counts(portfolio, manager):
    approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    response = logged_in(manager).get(reverse("portfolio:tree"))
    assert response.status_code == 200
    projects = response.context["projects"]
    assert [node.project.code for node in projects] == ["P1", "P2"]
    b1 = projects[0].buildings[0]
    assert b1.building == portfolio["b1"]
    assert {s.status: s.count for s in b1.by_status if s.count} == {"vacant": 1, "reserved": 1}
    html = response.content.decode()
    assert "静安公寓" in html
    assert reverse("portfolio:building", args=[portfolio["b1"].pk]) in html
    for label in ("空置", "已预订", "已出租", "维修中", "已下架"):
        assert label in html  # legend


def test_tree_shows_only_the_users_scope(portfolio, org):
    frontline = make_user(org, "frontline", buildings=[portfolio["b2"]])
    response = logged_in(frontline).get(reverse("portfolio:tree"))
    assert [node.project.code for node in response.context["projects"]] == ["P2"]
    html = response.content.decode()
    assert "静安公寓" not in html
    assert "浦东公寓" in html


def test_tree_never_shows_another_organization(portfolio, other_org, manager):
    ProjectFactory(organization=other_org, name="别家项目")
    html = logged_in(manager).get(reverse("portfolio:tree")).content.decode()
    assert "别家项目" not in html


def test_building_grid_colours_units_by_status(portfolio, manager):
    Unit.objects.filter(pk=portfolio["u2"].pk).update(status="maintenance")
    response = logged_in(manager).get(reverse("portfolio:building", args=[portfolio["b1"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    u1_url = reverse("portfolio:unit", args=[portfolio["u1"].pk])
    u2_url = reverse("portfolio:unit", args=[portfolio["u2"].pk])
    assert f'class="cell status-vacant" href="{u1_url}"' in html
    assert f'class="cell status-maintenance" href="{u2_url}"' in html
    assert "201" not in [c.code for f in response.context["floors"] for c in f.units]


def test_building_of_another_org_or_out_of_scope_is_404(portfolio, org, other_org, manager):
    foreign = BuildingFactory(project=ProjectFactory(organization=other_org))
    assert (
        logged_in(manager).get(reverse("portfolio:building", args=[foreign.pk])).status_code == 404
    )
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    client = logged_in(frontline)
    assert client.get(reverse("portfolio:building", args=[portfolio["b2"].pk])).status_code == 404
    assert client.get(reverse("portfolio:building", args=[portfolio["b1"].pk])).status_code == 200


def test_grid_of_1000_units_uses_a_fixed_number_of_queries(
    org, manager, django_assert_max_num_queries
):
    building = BuildingFactory(project=ProjectFactory(organization=org), floors=40)
    Unit.objects.bulk_create(
        Unit(
            organization=org,
            project=building.project,
            building=building,
            code=f"{floor:02d}{n:02d}",
            floor=floor,
            area_m2=Decimal("30.00"),
            list_rent=Decimal("2500.00"),
            status=("vacant", "occupied", "reserved", "maintenance", "offline")[n % 5],
        )
        for floor in range(1, 41)
        for n in range(1, 26)
    )
    client = logged_in(manager)
    url = reverse("portfolio:building", args=[building.pk])
    # session + user + roles + scope + building + the grid: the grid itself is one query.
    with django_assert_max_num_queries(8) as captured:
        response = client.get(url)
    assert response.status_code == 200
    grid_queries = [q for q in captured.captured_queries if "portfolio_unit" in q["sql"]]
    assert len(grid_queries) == 1
    cells = [c for f in response.context["floors"] for c in f.units]
    assert len(cells) == 1000
    assert response.context["floors"][0].floor == 40
    assert response.content.decode().count('class="cell ') == 1000


def test_unit_page_shows_facts_leases_and_equipment(portfolio, manager):
    unit = portfolio["u1"]
    EquipmentFactory(unit=unit, brand="格力", model="KFR-35GW", batch="2024-03")
    lease = approve_as(
        leasing_services.lease_create(by=manager, data=lease_data(unit, portfolio["customer"]))
    )
    response = logged_in(manager).get(reverse("portfolio:unit", args=[unit.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "KFR-35GW" in html
    assert "空调" in html
    assert lease.code in html
    assert "¥3,200.00" in html
    assert [row["code"] for row in response.context["leases"]["current"]] == [lease.code]
    assert response.context["leases"]["past"] == []
    assert reverse("leasing:lease_create") + f"?unit={unit.pk}" in html


def test_unit_page_past_leases(portfolio, manager):
    unit = portfolio["u1"]
    lease = approve_as(
        leasing_services.lease_create(by=manager, data=lease_data(unit, portfolio["customer"]))
    )
    leasing_services.lease_void(lease=lease, by=manager, reason="客户放弃")
    response = logged_in(manager).get(reverse("portfolio:unit", args=[unit.pk]))
    assert response.context["leases"]["current"] == []
    assert [row["code"] for row in response.context["leases"]["past"]] == [lease.code]


def test_frontline_sees_the_unit_but_no_amounts(portfolio, org, manager):
    unit = portfolio["u1"]
    approve_as(
        leasing_services.lease_create(by=manager, data=lease_data(unit, portfolio["customer"]))
    )
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    response = logged_in(frontline).get(reverse("portfolio:unit", args=[unit.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3,200" not in html
    assert "3200" not in html
    assert "¥" not in html
    assert "新建租约" not in html  # frontline cannot write leases
    assert response.context["leases"]["current"][0]["monthly_rent"] is None


def test_unit_out_of_scope_or_other_org_is_404(portfolio, org, other_org, manager):
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    assert (
        logged_in(frontline).get(reverse("portfolio:unit", args=[portfolio["u3"].pk])).status_code
        == 404
    )
    foreign = UnitFactory(building=BuildingFactory(project=ProjectFactory(organization=other_org)))
    assert logged_in(manager).get(reverse("portfolio:unit", args=[foreign.pk])).status_code == 404


def test_engineer_sees_units_but_no_leases(portfolio, org, manager):
    approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    engineer = make_user(org, "engineer")
    response = logged_in(engineer).get(reverse("portfolio:unit", args=[portfolio["u1"].pk]))
    assert response.status_code == 200
    assert "leases" not in response.context
    assert "L2026-" not in response.content.decode()


def test_portfolio_pages_need_login(portfolio):
    for url in (
        reverse("portfolio:tree"),
        reverse("portfolio:building", args=[portfolio["b1"].pk]),
        reverse("portfolio:unit", args=[portfolio["u1"].pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
