"""REST endpoints for projects, buildings, units and equipment (``/api/v1``).

Handlers are thin: objects come from the access helpers (another organization's or an
out-of-scope object answers 404), writes go through :mod:`anzu.portfolio.services` (a role
without the capability answers 403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.portfolio import access as portfolio_access
from anzu.portfolio import services
from anzu.portfolio.presenters import present_unit
from anzu.portfolio.schemas import (
    BuildingFilters,
    BuildingIn,
    BuildingOut,
    BuildingPatch,
    EquipmentFilters,
    EquipmentIn,
    EquipmentOut,
    EquipmentPatch,
    ProjectFilters,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    UnitFilters,
    UnitIn,
    UnitOut,
    UnitPatch,
)

router = Router(tags=["portfolio"])


def _given(filters: Any, *names: str) -> dict[str, Any]:
    """``{name: value}`` for the filters the caller set."""
    return {name: getattr(filters, name) for name in names if getattr(filters, name) is not None}


# Projects ---------------------------------------------------------------------------------


@router.get("/projects", response={200: PageOut[ProjectOut], **ERRORS})
def project_list(
    request: HttpRequest, filters: Query[ProjectFilters], paging: Query[PageParams]
) -> Any:
    qs = portfolio_access.projects_for_user(caller(request))
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    return page_of(qs.order_by("code", "id"), params=paging)


@router.post("/projects", response={201: ProjectOut, **ERRORS})
def project_create(request: HttpRequest, payload: ProjectIn) -> Any:
    return Status(201, services.project_create(by=caller(request), data=payload.model_dump()))


@router.get("/projects/{int:project_id}", response={200: ProjectOut, **ERRORS})
def project_detail(request: HttpRequest, project_id: int) -> Any:
    return portfolio_access.project_for_user(caller(request), project_id)


@router.patch("/projects/{int:project_id}", response={200: ProjectOut, **ERRORS})
def project_update(request: HttpRequest, project_id: int, payload: ProjectPatch) -> Any:
    user = caller(request)
    project = portfolio_access.project_for_user(user, project_id)
    return services.project_update(
        project=project, by=user, data=payload.model_dump(exclude_unset=True)
    )


# Buildings --------------------------------------------------------------------------------


@router.get("/buildings", response={200: PageOut[BuildingOut], **ERRORS})
def building_list(
    request: HttpRequest, filters: Query[BuildingFilters], paging: Query[PageParams]
) -> Any:
    qs = portfolio_access.buildings_for_user(caller(request)).filter(
        **_given(filters, "project_id")
    )
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    return page_of(qs.order_by("project_id", "code", "id"), params=paging)


@router.post("/buildings", response={201: BuildingOut, **ERRORS})
def building_create(request: HttpRequest, payload: BuildingIn) -> Any:
    data = payload.model_dump()
    project_id = data.pop("project_id")
    return Status(
        201, services.building_create(by=caller(request), project_id=project_id, data=data)
    )


@router.get("/buildings/{int:building_id}", response={200: BuildingOut, **ERRORS})
def building_detail(request: HttpRequest, building_id: int) -> Any:
    return portfolio_access.building_for_user(caller(request), building_id)


@router.patch("/buildings/{int:building_id}", response={200: BuildingOut, **ERRORS})
def building_update(request: HttpRequest, building_id: int, payload: BuildingPatch) -> Any:
    user = caller(request)
    building = portfolio_access.building_for_user(user, building_id)
    return services.building_update(
        building=building, by=user, data=payload.model_dump(exclude_unset=True)
    )


# Units ------------------------------------------------------------------------------------


@router.get("/units", response={200: PageOut[UnitOut], **ERRORS})
def unit_list(request: HttpRequest, filters: Query[UnitFilters], paging: Query[PageParams]) -> Any:
    qs = portfolio_access.units_for_user(caller(request)).filter(
        **_given(filters, "project_id", "building_id", "status", "floor")
    )
    if filters.q:
        qs = qs.filter(code__icontains=filters.q)
    user = caller(request)
    return page_of(
        qs.order_by("building_id", "floor", "code", "id"),
        params=paging,
        present=lambda unit: present_unit(user, unit),
    )


@router.post("/units", response={201: UnitOut, **ERRORS})
def unit_create(request: HttpRequest, payload: UnitIn) -> Any:
    data = payload.model_dump()
    building_id = data.pop("building_id")
    user = caller(request)
    unit = services.unit_create(by=user, building_id=building_id, data=data)
    return Status(201, present_unit(user, unit))


@router.get("/units/{int:unit_id}", response={200: UnitOut, **ERRORS})
def unit_detail(request: HttpRequest, unit_id: int) -> Any:
    user = caller(request)
    return present_unit(user, portfolio_access.unit_for_user(user, unit_id))


@router.patch("/units/{int:unit_id}", response={200: UnitOut, **ERRORS})
def unit_update(request: HttpRequest, unit_id: int, payload: UnitPatch) -> Any:
    user = caller(request)
    unit = portfolio_access.unit_for_user(user, unit_id)
    unit = services.unit_update(unit=unit, by=user, data=payload.model_dump(exclude_unset=True))
    return present_unit(user, unit)


# Equipment --------------------------------------------------------------------------------


@router.get("/equipment", response={200: PageOut[EquipmentOut], **ERRORS})
def equipment_list(
    request: HttpRequest, filters: Query[EquipmentFilters], paging: Query[PageParams]
) -> Any:
    qs = portfolio_access.equipment_for_user(caller(request)).filter(
        **_given(filters, "building_id", "unit_id", "type", "brand", "model", "batch")
    )
    return page_of(qs.order_by("building_id", "unit_id", "type", "id"), params=paging)


@router.post("/equipment", response={201: EquipmentOut, **ERRORS})
def equipment_create(request: HttpRequest, payload: EquipmentIn) -> Any:
    data = payload.model_dump()
    building_id, unit_id = data.pop("building_id"), data.pop("unit_id")
    equipment = services.equipment_create(
        by=caller(request), building_id=building_id, unit_id=unit_id, data=data
    )
    return Status(201, equipment)


@router.get("/equipment/{int:equipment_id}", response={200: EquipmentOut, **ERRORS})
def equipment_detail(request: HttpRequest, equipment_id: int) -> Any:
    return portfolio_access.equipment_item_for_user(caller(request), equipment_id)


@router.patch("/equipment/{int:equipment_id}", response={200: EquipmentOut, **ERRORS})
def equipment_update(request: HttpRequest, equipment_id: int, payload: EquipmentPatch) -> Any:
    user = caller(request)
    equipment = portfolio_access.equipment_item_for_user(user, equipment_id)
    return services.equipment_update(
        equipment=equipment, by=user, data=payload.model_dump(exclude_unset=True)
    )
