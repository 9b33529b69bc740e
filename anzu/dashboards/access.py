"""Fetching what the collection KPIs are computed from: capability, organization and scope.

The KPIs need ``kpi.view``. They are computed over the bills of the caller's organization whose
project or building is in the caller's scope (the copies of project and building on each bill,
as in :mod:`anzu.billing.access`). A project filter outside the caller's reach is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.billing.models import Bill
from anzu.common.errors import NotFound
from anzu.core import access
from anzu.portfolio import access as portfolio_access
from anzu.portfolio.models import Project


def require_kpis(user: Any) -> None:
    """403 unless the user is staff with ``kpi.view``."""
    access.require(user, "kpi.view")


def bills_for_kpis(user: Any) -> QuerySet[Bill]:
    """Every bill of the user's organization and scope (none without ``kpi.view``)."""
    if not access.can(user, "kpi.view"):
        return Bill.objects.none()
    scope = access.scope_of(user)
    return Bill.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="project_id", building="building_id")
    )


def projects_for_kpis(user: Any) -> QuerySet[Project]:
    """The projects the user may filter the KPIs by."""
    if not access.can(user, "kpi.view"):
        return Project.objects.none()
    return portfolio_access.projects_for_user(user)


def project_for_kpis(user: Any, pk: Any) -> Project:
    """A project the user may filter by; another organization's or out of scope → 404."""
    try:
        return projects_for_kpis(user).get(pk=int(pk))
    except (ValueError, TypeError, Project.DoesNotExist):
        raise NotFound("project", field="project_id") from None


def sees_amounts(user: Any) -> bool:
    return access.sees_amounts(user)
