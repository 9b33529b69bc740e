"""Reads of the approvals app: my requests, pending for me, the pending count of the menu."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.core import access
from anzu.risk.approvals import access as approvals_access
from anzu.risk.approvals.choices import RequestStatus
from anzu.risk.approvals.models import ApprovalDecision, ApprovalRequest
from anzu.risk.approvals.services import may_decide


def my_requests(user: Any) -> QuerySet[ApprovalRequest]:
    return approvals_access.requests_for_user(user).filter(maker=user)


def pending_for(user: Any) -> list[ApprovalRequest]:
    """Pending requests ``user`` may decide and has not decided yet, oldest first."""
    if not access.is_staff_user(user):
        return []
    capabilities = {
        c
        for c in ApprovalRequest.objects.filter(
            organization_id=user.organization_id, status=RequestStatus.PENDING
        )
        .values_list("checker_capability", flat=True)
        .distinct()
        if access.can(user, c)
    }
    if not capabilities:
        return []
    decided = ApprovalDecision.objects.filter(checker=user, void_reason="").values("request_id")
    rows = (
        approvals_access.requests_for_user(user)
        .filter(status=RequestStatus.PENDING, checker_capability__in=capabilities)
        .exclude(maker=user)
        .exclude(pk__in=decided)
        .select_related("maker")
        .order_by("created_at", "id")
    )
    return [r for r in rows if may_decide(user, r)]


def pending_count(user: Any) -> int:
    return len(pending_for(user))
