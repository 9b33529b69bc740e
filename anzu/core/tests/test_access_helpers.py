"""The access helpers, one condition per line: organization, scope, role, tenant."""

from __future__ import annotations

import pytest

from anzu.common.errors import NotFound
from anzu.common.testing import (
    CustomerFactory,
    EquipmentFactory,
    UnitFactory,
    lease_data,
    make_tenant,
    make_user,
)
from anzu.core import access
from anzu.leasing import access as leasing_access
from anzu.leasing import services as leasing_services
from anzu.portfolio import access as portfolio_access
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(portfolio, org, other_org, manager):
    foreign_unit = UnitFactory(building__project__organization=other_org)
    lease1 = approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    c2 = CustomerFactory(organization=org, name="韩梅梅", project=portfolio["p2"])
    lease3 = approve_as(
        leasing_services.lease_create(by=manager, data=lease_data(portfolio["u3"], c2))
    )
    eq1 = EquipmentFactory(unit=portfolio["u1"])
    eq3 = EquipmentFactory(unit=portfolio["u3"])
    return {
        **portfolio,
        "foreign_unit": foreign_unit,
        "lease1": lease1,
        "lease3": lease3,
        "c2": c2,
        "eq1": eq1,
        "eq3": eq3,
    }


def ids(qs):
    return sorted(qs.values_list("pk", flat=True))


def test_capabilities_by_role(org):
    finance = make_user(org, "finance")
    frontline = make_user(org, "frontline")
    engineer = make_user(org, "engineer")
    legal = make_user(org, "legal")
    assert access.can(finance, "amounts.view")
    assert not access.can(frontline, "amounts.view")
    assert not access.can(engineer, "lease.view")
    assert access.can(engineer, "portfolio.view")
    assert access.can(legal, "pii.view")
    assert not access.can(frontline, "pii.view")
    assert access.can(legal, "contract.full")
    assert not access.can(finance, "lease.activate")
    with pytest.raises(KeyError):
        access.can(finance, "no.such.capability")


def test_inactive_user_can_nothing(org):
    user = make_user(org, "admin")
    user.is_active = False
    assert not access.can(user, "portfolio.view")


def test_tenant_is_not_staff(world):
    tenant = make_tenant(world["customer"])
    assert not access.can(tenant, "portfolio.view")
    assert access.is_tenant_user(tenant)


def test_org_wide_user_sees_own_org_only(world, manager):
    assert world["foreign_unit"].pk not in ids(portfolio_access.units_for_user(manager))
    assert ids(portfolio_access.units_for_user(manager)) == sorted(
        [world[k].pk for k in ("u1", "u2", "u3", "u4")]
    )


def test_foreign_objects_are_not_found(world, manager):
    with pytest.raises(NotFound):
        portfolio_access.unit_for_user(manager, world["foreign_unit"].pk)
    with pytest.raises(NotFound):
        portfolio_access.building_for_user(manager, world["foreign_unit"].building_id)
    with pytest.raises(NotFound):
        portfolio_access.project_for_user(manager, world["foreign_unit"].project_id)


def test_malformed_ids_are_not_found(manager):
    with pytest.raises(NotFound):
        portfolio_access.unit_for_user(manager, "abc")
    with pytest.raises(NotFound):
        leasing_access.lease_for_user(manager, None)


def test_project_scope(world, org):
    user = make_user(org, "frontline", projects=[world["p1"]])
    assert ids(portfolio_access.projects_for_user(user)) == [world["p1"].pk]
    assert ids(portfolio_access.buildings_for_user(user)) == [world["b1"].pk]
    assert ids(portfolio_access.units_for_user(user)) == sorted([world["u1"].pk, world["u2"].pk])
    assert ids(portfolio_access.equipment_for_user(user)) == [world["eq1"].pk]
    assert ids(leasing_access.leases_for_user(user)) == [world["lease1"].pk]
    assert ids(leasing_access.customers_for_user(user)) == [world["customer"].pk]


def test_building_scope(world, org):
    user = make_user(org, "engineer", buildings=[world["b2"]])
    assert ids(portfolio_access.projects_for_user(user)) == [world["p2"].pk]
    assert ids(portfolio_access.buildings_for_user(user)) == [world["b2"].pk]
    assert ids(portfolio_access.units_for_user(user)) == sorted([world["u3"].pk, world["u4"].pk])
    assert ids(portfolio_access.equipment_for_user(user)) == [world["eq3"].pk]
    assert ids(leasing_access.leases_for_user(user)) == []  # engineers see no leases


def test_building_scoped_frontline_sees_customers_through_leases(world, org):
    user = make_user(org, "frontline", buildings=[world["b2"]])
    assert ids(leasing_access.customers_for_user(user)) == [world["c2"].pk]
    assert ids(leasing_access.leases_for_user(user)) == [world["lease3"].pk]


def test_out_of_scope_detail_is_not_found(world, org):
    user = make_user(org, "frontline", projects=[world["p1"]])
    with pytest.raises(NotFound):
        portfolio_access.unit_for_user(user, world["u3"].pk)
    with pytest.raises(NotFound):
        leasing_access.lease_for_user(user, world["lease3"].pk)
    with pytest.raises(NotFound):
        leasing_access.customer_for_user(user, world["c2"].pk)


def test_user_without_scope_rows_sees_nothing(world, org):
    user = make_user(org, "frontline", scope_all=False)
    assert ids(portfolio_access.units_for_user(user)) == []
    assert ids(leasing_access.leases_for_user(user)) == []


def test_tenant_sees_only_own_leases_and_self(world):
    tenant = make_tenant(world["customer"])
    assert ids(leasing_access.leases_for_user(tenant)) == [world["lease1"].pk]
    assert ids(leasing_access.customers_for_user(tenant)) == [world["customer"].pk]
    assert ids(portfolio_access.units_for_user(tenant)) == []


def test_org_id_requires_organization(db):
    from anzu.common.errors import PermissionDenied
    from anzu.core.models import User

    superuser = User.objects.create_superuser("root", password="x" * 12)
    with pytest.raises(PermissionDenied):
        access.org_id(superuser)
