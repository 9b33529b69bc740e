"""Fetching settlement cases for a user: organization, scope and role enforced here.

Staff with ``settlement.manage`` see the cases of the leases in their scope (the project and
building copied on each case). Anything else is a 404; a missing capability for an action on a
visible case is a 403 (raised by the services).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.billing.settlement.models import SettlementCase
from anzu.common.errors import NotFound
from anzu.core import access
from anzu.leasing import access as leasing_access
from anzu.leasing.models import Lease


def cases_for_user(user: Any) -> QuerySet[SettlementCase]:
    if not access.can(user, "settlement.manage"):
        return SettlementCase.objects.none()
    scope = access.scope_of(user)
    return SettlementCase.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="project_id", building="building_id")
    )


def case_for_user(user: Any, pk: Any) -> SettlementCase:
    try:
        return (
            cases_for_user(user)
            .select_related(
                "lease",
                "lease__unit",
                "lease__building",
                "lease__customer",
                "customer",
                "unit",
                "building",
                "project",
                "prepared_by",
                "approved_by",
                "opened_by",
                "closed_by",
            )
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, SettlementCase.DoesNotExist):
        raise NotFound("settlement") from None


def lease_for_settlement(user: Any, pk: Any) -> Lease:
    """A lease the user may open a case for (lease scope and ``settlement.manage``), else 404."""
    if not access.can(user, "settlement.manage"):
        raise NotFound("lease")
    return leasing_access.lease_for_user(user, pk)
