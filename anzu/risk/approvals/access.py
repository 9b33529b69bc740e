"""Fetching approval requests and rules for a user: other organization or scope → 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.risk.approvals.models import ApprovalRequest, ApprovalRule


def requests_for_user(user: Any) -> QuerySet[ApprovalRequest]:
    """Requests a staff user may see: their own, and those within their scope."""
    if not access.can(user, "approvals.view"):
        return ApprovalRequest.objects.none()
    qs = ApprovalRequest.objects.filter(organization_id=access.org_id(user))
    scope = access.scope_of(user)
    if scope.everything:
        return qs
    return qs.filter(
        Q(maker=user)
        | (Q(project_id__isnull=True) & Q(building_id__isnull=True))
        | scope.q(project="project_id", building="building_id")
    )


def request_for_user(user: Any, pk: Any) -> ApprovalRequest:
    try:
        return requests_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, ApprovalRequest.DoesNotExist):
        raise NotFound("approval request") from None


def rules_for_user(user: Any) -> QuerySet[ApprovalRule]:
    if not access.can(user, "approvals.view"):
        return ApprovalRule.objects.none()
    return ApprovalRule.objects.filter(organization_id=access.org_id(user))


def rule_for_user(user: Any, pk: Any) -> ApprovalRule:
    try:
        return rules_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, ApprovalRule.DoesNotExist):
        raise NotFound("approval rule") from None
