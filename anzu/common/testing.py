"""Factories and helpers shared by the test suites (imported by anzu/conftest.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from anzu.common.crypto import blind_index
from anzu.core.choices import Role, UserKind
from anzu.core.models import Organization, RoleGrant, StaffScope, User
from anzu.leasing.idnumbers import resident_id_check_digit
from anzu.leasing.models import Customer
from anzu.portfolio.models import Building, Equipment, Project, Unit

PASSWORD = "anzu-test-pass-2026"


def resident_id(n: int, birth: dt.date = dt.date(1990, 5, 17)) -> str:
    first17 = f"310101{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_id_check_digit(first17)


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"安租测试运营主体{n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    city = "上海"


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    project = factory.SubFactory(ProjectFactory)
    organization = factory.SelfAttribute("project.organization")
    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.Sequence(lambda n: f"{n}号楼")
    address = "上海市浦东新区测试路1号"
    latitude = Decimal("31.230400")
    longitude = Decimal("121.473700")


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    project = factory.SelfAttribute("building.project")
    organization = factory.SelfAttribute("building.organization")
    code = factory.Sequence(lambda n: f"{100 + n}")
    floor = 1
    area_m2 = Decimal("35.50")
    layout = "1室1厅"
    list_rent = Decimal("3200.00")


class EquipmentFactory(DjangoModelFactory):
    class Meta:
        model = Equipment

    unit = factory.SubFactory(UnitFactory)
    building = factory.SelfAttribute("unit.building")
    organization = factory.SelfAttribute("unit.organization")
    type = "air_conditioner"
    brand = "格力"
    model = "KFR-35GW"
    batch = "2024-03"


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    kind = "person"
    name = factory.Sequence(lambda n: f"张{n}")
    id_type = "resident_id"
    id_number = factory.Sequence(lambda n: resident_id(n))
    id_number_index = factory.LazyAttribute(lambda o: blind_index(o.id_number, purpose="id_number"))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    phone_index = factory.LazyAttribute(lambda o: blind_index(o.phone, purpose="phone"))


def make_user(
    organization: Organization,
    *roles: str,
    username: str | None = None,
    scope_all: bool | None = None,
    projects: list[Project] | tuple[Project, ...] = (),
    buildings: list[Building] | tuple[Building, ...] = (),
    **extra: Any,
) -> User:
    """A staff user with roles; org-wide unless projects/buildings are given."""
    username = username or f"{'-'.join(roles) or 'user'}-{User.objects.count() + 1}"
    if scope_all is None:
        scope_all = not projects and not buildings
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        organization=organization,
        kind=UserKind.STAFF,
        scope_all=scope_all,
        **extra,
    )
    for role in roles:
        RoleGrant.objects.create(user=user, role=Role(role))
    for project in projects:
        StaffScope.objects.create(user=user, project=project)
    for building in buildings:
        StaffScope.objects.create(user=user, building=building)
    return user


def make_tenant(customer: Customer, username: str | None = None) -> User:
    return User.objects.create_user(
        username=username or f"tenant-{customer.pk}",
        password=PASSWORD,
        organization=customer.organization,
        kind=UserKind.TENANT,
        customer=customer,
    )


def lease_data(unit: Unit, customer: Customer, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit_id": unit.pk,
        "customer_id": customer.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "monthly_rent": "3200.00",
        "deposit_months": 1,
        "pay_months": 1,
    }
    data.update(overrides)
    return data
