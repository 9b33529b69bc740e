"""What a user may see of a unit: the list rent is an amount, hidden from roles without
``amounts.view`` (frontline, engineers), exactly as on the web pages."""

from __future__ import annotations

from typing import Any

from anzu.core import access
from anzu.portfolio.models import Unit


def present_unit(user: Any, unit: Unit) -> dict[str, Any]:
    amounts = access.sees_amounts(user)
    return {
        "id": unit.pk,
        "project_id": unit.project_id,
        "building_id": unit.building_id,
        "code": unit.code,
        "floor": unit.floor,
        "area_m2": unit.area_m2,
        "layout": unit.layout,
        "list_rent": unit.list_rent if amounts else None,
        "amounts_hidden": not amounts,
        "status": unit.status,
        "created_at": unit.created_at,
        "updated_at": unit.updated_at,
    }
