"""Fetching dunning rows for a user: organization, scope and capability enforced here.

Actions and call tasks carry copies of the lease's project and building; freezes, promises and
pauses are scoped through their lease. Rows outside the caller's organization or scope raise
:class:`~anzu.common.errors.NotFound` (404); a visible row the role may not act on raises
``PermissionDenied`` (403) in the services or through :func:`require`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.billing.dunning.models import (
    CallTask,
    DunningAction,
    DunningPause,
    FreezeRequest,
    PaymentPromise,
    PolicyVersion,
)
from anzu.common.errors import NotFound
from anzu.core import access
from anzu.leasing import access as leasing_access
from anzu.leasing.models import Customer, Lease


def _scope_q(user: Any, prefix: str = "") -> Any:
    scope = access.scope_of(user)
    return scope.q(project=f"{prefix}project_id", building=f"{prefix}building_id")


def can_view(user: Any) -> bool:
    return access.can(user, "dunning.view")


def can_manage(user: Any) -> bool:
    return access.can(user, "dunning.manage")


def can_work_calls(user: Any) -> bool:
    return access.can(user, "calls.work")


def can_approve_freezes(user: Any) -> bool:
    return access.can(user, "freeze.approve")


def can_promise(user: Any) -> bool:
    return can_work_calls(user) or can_manage(user)


# Lists ------------------------------------------------------------------------------------------


def actions_for_user(user: Any) -> QuerySet[DunningAction]:
    if not can_view(user):
        return DunningAction.objects.none()
    return DunningAction.objects.filter(organization_id=user.organization_id).filter(_scope_q(user))


def calls_for_user(user: Any) -> QuerySet[CallTask]:
    if not (can_view(user) or can_work_calls(user)):
        return CallTask.objects.none()
    return CallTask.objects.filter(organization_id=user.organization_id).filter(_scope_q(user))


def freezes_for_user(user: Any) -> QuerySet[FreezeRequest]:
    if not can_view(user):
        return FreezeRequest.objects.none()
    return FreezeRequest.objects.filter(organization_id=user.organization_id).filter(
        _scope_q(user, "lease__")
    )


def promises_for_user(user: Any) -> QuerySet[PaymentPromise]:
    if not can_view(user):
        return PaymentPromise.objects.none()
    return PaymentPromise.objects.filter(organization_id=user.organization_id).filter(
        _scope_q(user, "lease__")
    )


def pauses_for_user(user: Any) -> QuerySet[DunningPause]:
    if not can_view(user):
        return DunningPause.objects.none()
    return DunningPause.objects.filter(organization_id=user.organization_id).filter(
        _scope_q(user, "lease__")
    )


def policy_versions_for_user(user: Any) -> QuerySet[PolicyVersion]:
    if not can_view(user):
        return PolicyVersion.objects.none()
    return PolicyVersion.objects.filter(organization_id=user.organization_id)


# One row ----------------------------------------------------------------------------------------


def _int(pk: Any, what: str) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound(what) from None


def action_for_user(user: Any, pk: Any) -> DunningAction:
    try:
        return actions_for_user(user).select_related("lease").get(pk=_int(pk, "action"))
    except DunningAction.DoesNotExist:
        raise NotFound("action") from None


def call_for_user(user: Any, pk: Any) -> CallTask:
    try:
        return (
            calls_for_user(user)
            .select_related(
                "lease__organization",
                "lease__building",
                "lease__unit",
                "customer",
                "action",
                "assigned_to",
                "completed_by",
            )
            .get(pk=_int(pk, "call"))
        )
    except CallTask.DoesNotExist:
        raise NotFound("call") from None


def freeze_for_user(user: Any, pk: Any) -> FreezeRequest:
    try:
        return (
            freezes_for_user(user)
            .select_related("lease", "customer", "decided_by")
            .get(pk=_int(pk, "freeze"))
        )
    except FreezeRequest.DoesNotExist:
        raise NotFound("freeze") from None


def promise_for_user(user: Any, pk: Any) -> PaymentPromise:
    try:
        return promises_for_user(user).get(pk=_int(pk, "promise"))
    except PaymentPromise.DoesNotExist:
        raise NotFound("promise") from None


def pause_for_user(user: Any, pk: Any) -> DunningPause:
    try:
        return pauses_for_user(user).get(pk=_int(pk, "pause"))
    except DunningPause.DoesNotExist:
        raise NotFound("pause") from None


def policy_version_for_user(user: Any, pk: Any) -> PolicyVersion:
    try:
        return policy_versions_for_user(user).get(pk=_int(pk, "policy version"))
    except PolicyVersion.DoesNotExist:
        raise NotFound("policy version") from None


def lease_for_dunning(user: Any, pk: Any) -> Lease:
    """A lease in the user's scope whose dunning the user may see, else 404."""
    if not can_view(user):
        raise NotFound("lease")
    return leasing_access.lease_for_user(user, pk)


def customer_for_dunning(user: Any, pk: Any) -> Customer:
    if not can_view(user):
        raise NotFound("customer")
    return leasing_access.customer_for_user(user, pk)


def require(user: Any, capability: str) -> None:
    access.require(user, capability)
