"""Writes to the portfolio: projects, buildings, units, equipment. Each write is audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from anzu.common import validate as v
from anzu.common.errors import Conflict, ValidationFailed
from anzu.common.money import to_money
from anzu.core import access, audit
from anzu.core.models import User
from anzu.portfolio import access as portfolio_access
from anzu.portfolio.choices import EquipmentType, UnitStatus
from anzu.portfolio.models import Building, Equipment, Project, Unit

PROJECT_SPEC: dict[str, Any] = {
    "code": lambda x, f: v.text(x, field=f, max_length=40),
    "name": lambda x, f: v.text(x, field=f, max_length=200),
    "city": lambda x, f: v.text(x, field=f, max_length=60, required=False),
    "district": lambda x, f: v.text(x, field=f, max_length=60, required=False),
}
BUILDING_SPEC: dict[str, Any] = {
    "code": lambda x, f: v.text(x, field=f, max_length=40),
    "name": lambda x, f: v.text(x, field=f, max_length=200),
    "address": lambda x, f: v.text(x, field=f, max_length=300, required=False),
    "latitude": lambda x, f: v.decimal(
        x, field=f, places=6, minimum=Decimal(-90), maximum=Decimal(90), required=False
    ),
    "longitude": lambda x, f: v.decimal(
        x, field=f, places=6, minimum=Decimal(-180), maximum=Decimal(180), required=False
    ),
    "floors": lambda x, f: (
        None if x in (None, "") else v.integer(x, field=f, minimum=1, maximum=300)
    ),
}
UNIT_SPEC: dict[str, Any] = {
    "code": lambda x, f: v.text(x, field=f, max_length=40),
    "floor": lambda x, f: v.integer(x, field=f, minimum=-10, maximum=300),
    "area_m2": lambda x, f: v.decimal(
        x, field=f, places=2, minimum=Decimal("0.01"), maximum=Decimal("100000")
    ),
    "layout": lambda x, f: v.text(x, field=f, max_length=40, required=False),
    "list_rent": lambda x, f: to_money(x, field=f),
    "status": lambda x, f: v.choice(x or UnitStatus.VACANT, field=f, choices=UnitStatus.choices),
}
EQUIPMENT_SPEC: dict[str, Any] = {
    "type": lambda x, f: v.choice(x, field=f, choices=EquipmentType.choices),
    "brand": lambda x, f: v.text(x, field=f, max_length=60, required=False),
    "model": lambda x, f: v.text(x, field=f, max_length=60, required=False),
    "batch": lambda x, f: v.text(x, field=f, max_length=60, required=False),
    "serial_number": lambda x, f: v.text(x, field=f, max_length=80, required=False),
    "installed_on": lambda x, f: v.date(x, field=f, required=False),
}


def _save_unique(obj: Any, *, duplicate_field: str, message: str) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict("duplicate", message, field=duplicate_field) from None


def _apply(obj: Any, cleaned: dict[str, Any]) -> dict[str, list[Any]]:
    before = audit.snapshot(obj, cleaned.keys())
    for name, value in cleaned.items():
        setattr(obj, name, value)
    return audit.diff(before, audit.snapshot(obj, cleaned.keys()))


def _create(obj: Any, *, by: User, cleaned: dict[str, Any], action: str, dup_message: str) -> Any:
    for name, value in cleaned.items():
        setattr(obj, name, value)
    with transaction.atomic():
        _save_unique(obj, duplicate_field="code", message=dup_message)
        audit.record(
            action=action,
            obj=obj,
            organization=obj.organization_id,
            actor=by,
            changes=audit.diff({}, audit.snapshot(obj, cleaned.keys())),
        )
    return obj


def _update(obj: Any, *, by: User, cleaned: dict[str, Any], action: str, dup_message: str) -> Any:
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        changes = _apply(obj, cleaned)
        if changes:
            _save_unique(obj, duplicate_field="code", message=dup_message)
            audit.record(
                action=action, obj=obj, organization=obj.organization_id, actor=by, changes=changes
            )
    return obj


# Projects ---------------------------------------------------------------------------------


def project_create(*, by: User, data: dict[str, Any]) -> Project:
    access.require(by, "portfolio.write")
    cleaned = v.clean(data, PROJECT_SPEC, partial=False)
    return _create(
        Project(organization_id=access.org_id(by)),
        by=by,
        cleaned=cleaned,
        action="project.create",
        dup_message=f"A project with code {cleaned['code']!r} already exists.",
    )


def project_update(*, project: Project, by: User, data: dict[str, Any]) -> Project:
    access.require(by, "portfolio.write")
    cleaned = v.clean(data, PROJECT_SPEC, partial=True)
    return _update(
        project,
        by=by,
        cleaned=cleaned,
        action="project.update",
        dup_message="A project with this code already exists.",
    )


# Buildings --------------------------------------------------------------------------------


def building_create(*, by: User, project_id: Any, data: dict[str, Any]) -> Building:
    access.require(by, "portfolio.write")
    try:
        project = portfolio_access.project_for_user(by, project_id)
    except Exception:
        raise ValidationFailed("not_found", "Unknown project.", field="project_id") from None
    cleaned = v.clean(data, BUILDING_SPEC, partial=False)
    return _create(
        Building(organization_id=access.org_id(by), project=project),
        by=by,
        cleaned=cleaned,
        action="building.create",
        dup_message=f"Building code {cleaned['code']!r} already exists in this project.",
    )


def building_update(*, building: Building, by: User, data: dict[str, Any]) -> Building:
    access.require(by, "portfolio.write")
    cleaned = v.clean(data, BUILDING_SPEC, partial=True)
    return _update(
        building,
        by=by,
        cleaned=cleaned,
        action="building.update",
        dup_message="This building code already exists in the project.",
    )


# Units ------------------------------------------------------------------------------------


def unit_create(*, by: User, building_id: Any, data: dict[str, Any]) -> Unit:
    access.require(by, "portfolio.write")
    try:
        building = portfolio_access.building_for_user(by, building_id)
    except Exception:
        raise ValidationFailed("not_found", "Unknown building.", field="building_id") from None
    cleaned = v.clean(data, UNIT_SPEC, partial=False)
    return _create(
        Unit(organization_id=access.org_id(by), building=building, project_id=building.project_id),
        by=by,
        cleaned=cleaned,
        action="unit.create",
        dup_message=f"Unit code {cleaned['code']!r} already exists in this building.",
    )


def unit_update(*, unit: Unit, by: User, data: dict[str, Any]) -> Unit:
    access.require(by, "portfolio.write")
    cleaned = v.clean(data, UNIT_SPEC, partial=True)
    return _update(
        unit,
        by=by,
        cleaned=cleaned,
        action="unit.update",
        dup_message="This unit code already exists in the building.",
    )


# Equipment --------------------------------------------------------------------------------


def equipment_create(
    *, by: User, building_id: Any, unit_id: Any = None, data: dict[str, Any]
) -> Equipment:
    access.require(by, "equipment.write")
    unit = None
    if unit_id not in (None, ""):
        try:
            unit = portfolio_access.unit_for_user(by, unit_id)
        except Exception:
            raise ValidationFailed("not_found", "Unknown unit.", field="unit_id") from None
        building = unit.building
        if building_id not in (None, "") and str(building_id) != str(building.pk):
            raise ValidationFailed(
                "mismatch", "The unit is not in this building.", field="building_id"
            )
    else:
        try:
            building = portfolio_access.building_for_user(by, building_id)
        except Exception:
            raise ValidationFailed("not_found", "Unknown building.", field="building_id") from None
    cleaned = v.clean(data, EQUIPMENT_SPEC, partial=False)
    return _create(
        Equipment(organization_id=access.org_id(by), building=building, unit=unit),
        by=by,
        cleaned=cleaned,
        action="equipment.create",
        dup_message="Duplicate equipment.",
    )


def equipment_update(*, equipment: Equipment, by: User, data: dict[str, Any]) -> Equipment:
    access.require(by, "equipment.write")
    cleaned = v.clean(data, EQUIPMENT_SPEC, partial=True)
    return _update(
        equipment,
        by=by,
        cleaned=cleaned,
        action="equipment.update",
        dup_message="Duplicate equipment.",
    )
