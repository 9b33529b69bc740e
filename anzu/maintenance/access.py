"""Fetching work orders for a user: organization, scope and role enforced here.

- Staff with ``workorders.view`` and an office role (admin, management, customer service,
  frontline) see the tickets of their project/building scope.
- An engineer (and nothing else) sees only the tickets assigned or offered to them.
- A tenant sees the tickets they reported.

Anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.core.choices import Role
from anzu.maintenance.choices import AssignmentStatus
from anzu.maintenance.models import Assignment, BusinessCalendar, ReviewCase, SlaPolicy, Ticket

OFFICE_ROLES = frozenset({Role.ADMIN, Role.MANAGEMENT, Role.CUSTOMER_SERVICE, Role.FRONTLINE})


def is_office_user(user: Any) -> bool:
    return access.can(user, "workorders.view") and bool(user.role_set & OFFICE_ROLES)


def is_engineer(user: Any) -> bool:
    return access.can(user, "workorders.work")


def tickets_for_user(user: Any) -> QuerySet[Ticket]:
    if access.is_tenant_user(user):
        return Ticket.objects.filter(
            organization_id=user.organization_id, reporter_customer_id=user.customer_id
        )
    if not access.can(user, "workorders.view"):
        return Ticket.objects.none()
    base = Ticket.objects.filter(organization_id=user.organization_id)
    if is_office_user(user):
        scope = access.scope_of(user)
        return base.filter(scope.q(project="project_id", building="building_id"))
    offered = Assignment.objects.filter(
        ticket_id=OuterRef("pk"), engineer_id=user.pk, status=AssignmentStatus.OFFERED
    )
    return base.filter(Q(assigned_engineer_id=user.pk) | Q(Exists(offered)))


def ticket_for_user(user: Any, pk: Any) -> Ticket:
    try:
        return (
            tickets_for_user(user)
            .select_related("unit", "building", "project", "category", "assigned_engineer")
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, Ticket.DoesNotExist):
        raise NotFound("ticket") from None


def assignment_for_user(user: Any, pk: Any) -> Assignment:
    """An assignment offered to the caller (engineer), or any in scope for a dispatcher."""
    try:
        assignment = Assignment.objects.select_related("ticket").get(pk=int(pk))
    except (ValueError, TypeError, Assignment.DoesNotExist):
        raise NotFound("assignment") from None
    if (
        assignment.engineer_id == getattr(user, "pk", None)
        and is_engineer(user)
        and assignment.ticket.organization_id == user.organization_id
    ):
        return assignment
    if access.can(user, "workorders.dispatch") and (
        tickets_for_user(user).filter(pk=assignment.ticket_id).exists()
    ):
        return assignment
    raise NotFound("assignment")


def review_cases_for_user(user: Any) -> QuerySet[ReviewCase]:
    if not access.can(user, "workorders.review"):
        return ReviewCase.objects.none()
    scope = access.scope_of(user)
    return ReviewCase.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="ticket__project_id", building="ticket__building_id")
    )


def review_case_for_user(user: Any, pk: Any) -> ReviewCase:
    try:
        return review_cases_for_user(user).select_related("ticket", "rating").get(pk=int(pk))
    except (ValueError, TypeError, ReviewCase.DoesNotExist):
        raise NotFound("review case") from None


def sla_policy_for_user(user: Any, pk: Any) -> SlaPolicy:
    """An SLA policy of the caller's organization (dispatchers may look)."""
    access.require(user, "workorders.dispatch")
    try:
        return SlaPolicy.objects.select_related("category", "calendar").get(
            pk=int(pk), organization_id=user.organization_id
        )
    except (ValueError, TypeError, SlaPolicy.DoesNotExist):
        raise NotFound("SLA policy") from None


def calendar_for_user(user: Any, pk: Any) -> BusinessCalendar:
    """A business calendar of the caller's organization (dispatchers may look)."""
    access.require(user, "workorders.dispatch")
    try:
        return BusinessCalendar.objects.get(pk=int(pk), organization_id=user.organization_id)
    except (ValueError, TypeError, BusinessCalendar.DoesNotExist):
        raise NotFound("business calendar") from None
