"""Fetching portfolio objects for a user: organization, scope and role enforced here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.portfolio.models import Building, Equipment, Project, Unit


def _org_id(user: Any) -> int:
    return int(user.organization_id)


def projects_for_user(user: Any) -> QuerySet[Project]:
    if not access.can(user, "portfolio.view"):
        return Project.objects.none()
    scope = access.scope_of(user)
    qs = Project.objects.filter(organization_id=_org_id(user))
    if scope.everything:
        return qs
    building_projects = Building.objects.filter(id__in=scope.building_ids).values("project_id")
    return qs.filter(id__in=scope.project_ids) | qs.filter(id__in=building_projects)


def buildings_for_user(user: Any) -> QuerySet[Building]:
    if not access.can(user, "portfolio.view"):
        return Building.objects.none()
    scope = access.scope_of(user)
    return Building.objects.filter(organization_id=_org_id(user)).filter(
        scope.q(project="project_id", building="id")
    )


def units_for_user(user: Any) -> QuerySet[Unit]:
    if not access.can(user, "portfolio.view"):
        return Unit.objects.none()
    scope = access.scope_of(user)
    return Unit.objects.filter(organization_id=_org_id(user)).filter(
        scope.q(project="project_id", building="building_id")
    )


def equipment_for_user(user: Any) -> QuerySet[Equipment]:
    if not access.can(user, "portfolio.view"):
        return Equipment.objects.none()
    scope = access.scope_of(user)
    return Equipment.objects.filter(organization_id=_org_id(user)).filter(
        scope.q(project="building__project_id", building="building_id")
    )


def _get(qs: QuerySet[Any], pk: Any, what: str) -> Any:
    try:
        return qs.get(pk=int(pk))
    except (ValueError, TypeError, qs.model.DoesNotExist):
        raise NotFound(what) from None


def project_for_user(user: Any, pk: Any) -> Project:
    return _get(projects_for_user(user), pk, "project")


def building_for_user(user: Any, pk: Any) -> Building:
    return _get(buildings_for_user(user).select_related("project"), pk, "building")


def unit_for_user(user: Any, pk: Any) -> Unit:
    return _get(units_for_user(user).select_related("building", "project"), pk, "unit")


def equipment_item_for_user(user: Any, pk: Any) -> Equipment:
    return _get(equipment_for_user(user).select_related("building", "unit"), pk, "equipment")
