from __future__ import annotations

from decimal import Decimal

import pytest

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import make_user
from anzu.core.models import AuditEvent
from anzu.portfolio import services
from anzu.portfolio.models import Building, Equipment, Project, Unit

pytestmark = pytest.mark.django_db


def test_create_hierarchy_and_audit(manager):
    project = services.project_create(
        by=manager, data={"code": "HZ1", "name": "滨江公寓", "city": "杭州"}
    )
    building = services.building_create(
        by=manager,
        project_id=project.pk,
        data={
            "code": "A",
            "name": "A栋",
            "address": "杭州市滨江区江南大道1号",
            "latitude": "30.2084",
            "longitude": "120.2110",
            "floors": 18,
        },
    )
    unit = services.unit_create(
        by=manager,
        building_id=building.pk,
        data={
            "code": "0301",
            "floor": 3,
            "area_m2": "32.5",
            "layout": "一室一厅",
            "list_rent": "2800",
        },
    )
    eq = services.equipment_create(
        by=manager,
        building_id=building.pk,
        unit_id=unit.pk,
        data={
            "type": "water_heater",
            "brand": "海尔",
            "model": "EC6002",
            "batch": "2023-11",
            "installed_on": "2023-12-01",
        },
    )
    assert unit.project_id == project.pk
    assert unit.status == "vacant"
    assert building.latitude == Decimal("30.208400")
    assert eq.unit_id == unit.pk
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["project.create", "building.create", "unit.create", "equipment.create"]
    unit_event = AuditEvent.objects.get(action="unit.create")
    assert unit_event.changes["list_rent"] == [None, "2800.00"]
    assert unit_event.actor_label == manager.username


def test_duplicate_unit_code_is_a_conflict_on_code(portfolio, manager):
    count = Unit.objects.count()
    with pytest.raises(Conflict) as err:
        services.unit_create(
            by=manager,
            building_id=portfolio["b1"].pk,
            data={"code": "101", "floor": 1, "area_m2": "20", "list_rent": "2000"},
        )
    assert err.value.field == "code"
    assert Unit.objects.count() == count


def test_same_unit_code_in_another_building_is_fine(portfolio, manager):
    unit = services.unit_create(
        by=manager,
        building_id=portfolio["b2"].pk,
        data={"code": "101", "floor": 1, "area_m2": "20", "list_rent": "2000"},
    )
    assert unit.code == "101"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("area_m2", "0", "too_small"),
        ("area_m2", "abc", "invalid"),
        ("list_rent", "-5", "negative"),
        ("floor", "三", "invalid"),
        ("status", "sold", "invalid_choice"),
        ("code", "", "required"),
        ("colour", "red", "unknown_field"),
    ],
)
def test_bad_unit_input(portfolio, manager, field, value, code):
    data = {"code": "999", "floor": 9, "area_m2": "20", "list_rent": "2000", field: value}
    count = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as err:
        services.unit_create(by=manager, building_id=portfolio["b1"].pk, data=data)
    assert (err.value.field, err.value.code) == (field, code)
    assert AuditEvent.objects.count() == count
    assert not Unit.objects.filter(code="999").exists()


def test_bad_coordinates(portfolio, manager):
    with pytest.raises(ValidationFailed) as err:
        services.building_update(building=portfolio["b1"], by=manager, data={"latitude": "91"})
    assert err.value.field == "latitude"
    assert Building.objects.get(pk=portfolio["b1"].pk).latitude == portfolio["b1"].latitude


def test_unknown_or_foreign_parent_names_the_field(portfolio, manager, other_org):
    foreign = Project.objects.create(organization=other_org, code="X", name="外部")
    with pytest.raises(ValidationFailed) as err:
        services.building_create(by=manager, project_id=foreign.pk, data={"code": "Z", "name": "Z"})
    assert err.value.field == "project_id"
    with pytest.raises(ValidationFailed) as err:
        services.unit_create(by=manager, building_id=424242, data={})
    assert err.value.field == "building_id"


def test_update_records_only_changes(portfolio, manager):
    unit = portfolio["u1"]
    count = AuditEvent.objects.count()
    services.unit_update(unit=unit, by=manager, data={"list_rent": "3200.00"})
    assert AuditEvent.objects.count() == count  # nothing changed, nothing recorded
    services.unit_update(unit=unit, by=manager, data={"list_rent": "3500"})
    event = AuditEvent.objects.latest("id")
    assert event.changes == {"list_rent": ["3200.00", "3500.00"]}


def test_roles_without_write_capability_are_refused(portfolio, org):
    finance = make_user(org, "finance")
    with pytest.raises(PermissionDenied):
        services.project_create(by=finance, data={"code": "N", "name": "N"})
    engineer = make_user(org, "engineer", buildings=[portfolio["b1"]])
    eq = services.equipment_create(
        by=engineer, building_id=portfolio["b1"].pk, data={"type": "router", "brand": "华为"}
    )
    assert Equipment.objects.filter(pk=eq.pk).exists()
    with pytest.raises(ValidationFailed) as err:
        services.equipment_create(
            by=engineer, building_id=portfolio["b2"].pk, data={"type": "router"}
        )
    assert err.value.field == "building_id"
