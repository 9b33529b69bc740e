"""Read-only queries over the portfolio for pages and dashboards, always within the user's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.db.models import Count

from anzu.portfolio import access as portfolio_access
from anzu.portfolio.choices import UnitStatus
from anzu.portfolio.models import Building, Equipment, Project, Unit

STATUS_ORDER = [value for value, _label in UnitStatus.choices]


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


def _ordered_counts(counts: dict[str, int]) -> list[StatusCount]:
    labels = dict(UnitStatus.choices)
    return [StatusCount(s, str(labels[s]), counts.get(s, 0)) for s in STATUS_ORDER]


def unit_status_summary(user: Any) -> dict[str, Any]:
    """Units in scope counted by status (every status listed, zeros included)."""
    rows = (
        portfolio_access.units_for_user(user)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts = dict(rows)
    return {"total": sum(counts.values()), "by_status": _ordered_counts(counts)}


@dataclass
class BuildingNode:
    building: Building
    total: int = 0
    by_status: list[StatusCount] = field(default_factory=list)


@dataclass
class ProjectNode:
    project: Project
    buildings: list[BuildingNode] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(b.total for b in self.buildings)


def portfolio_tree(user: Any) -> list[ProjectNode]:
    """Projects → buildings in scope, each building with its unit counts by status (3 queries)."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        portfolio_access.units_for_user(user)
        .order_by()
        .values("building_id", "status")
        .annotate(n=Count("id"))
        .values_list("building_id", "status", "n")
    )
    for building_id, status, n in rows:
        counts.setdefault(building_id, {})[status] = n
    nodes: dict[int, ProjectNode] = {
        p.pk: ProjectNode(p)
        for p in portfolio_access.projects_for_user(user).order_by("code", "id")
    }
    for building in portfolio_access.buildings_for_user(user).order_by("project_id", "code", "id"):
        node = nodes.get(building.project_id)
        if node is None:
            continue
        building_counts = counts.get(building.pk, {})
        node.buildings.append(
            BuildingNode(
                building,
                total=sum(building_counts.values()),
                by_status=_ordered_counts(building_counts),
            )
        )
    return list(nodes.values())


@dataclass
class GridCell:
    id: int
    code: str
    floor: int
    status: str
    layout: str
    area_m2: Any


@dataclass
class Floor:
    floor: int
    units: list[GridCell]


def building_grid(user: Any, building: Building) -> list[Floor]:
    """The building's units in scope as floors (top floor first), fetched in one query."""
    rows = (
        portfolio_access.units_for_user(user)
        .filter(building_id=building.pk)
        .order_by("-floor", "code", "id")
        .values_list("id", "code", "floor", "status", "layout", "area_m2")
    )
    cells = [GridCell(*row) for row in rows]
    return [
        Floor(floor=floor, units=list(units))
        for floor, units in groupby(cells, key=lambda c: c.floor)
    ]


def grid_counts(floors: list[Floor]) -> list[StatusCount]:
    counts: dict[str, int] = {}
    for floor in floors:
        for cell in floor.units:
            counts[cell.status] = counts.get(cell.status, 0) + 1
    return _ordered_counts(counts)


def unit_equipment(user: Any, unit: Unit) -> list[Equipment]:
    return list(
        portfolio_access.equipment_for_user(user).filter(unit_id=unit.pk).order_by("type", "id")
    )


def unit_status_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in UnitStatus.choices]
