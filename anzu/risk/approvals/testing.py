"""Test helpers: take a guarded command through its approval.

``approve_as(request, checker)`` approves ``request`` as ``checker`` (a second person; by
default a fresh administrator of the request's organization) and returns what the executed
command produced — the lease, refund, bill, freeze, user or rule — so a test written as
``lease = services.lease_create(...)`` becomes ``lease = approve_as(services.lease_create(...))``.
A value that is not an approval request (the rule did not apply) is returned unchanged.
"""

from __future__ import annotations

from typing import Any

from anzu.core.choices import Role, UserKind
from anzu.core.models import RoleGrant, User
from anzu.risk.approvals import services
from anzu.risk.approvals.choices import RequestStatus
from anzu.risk.approvals.models import ApprovalRequest

_MODELS = {
    "leasing.lease": ("anzu.leasing.models", "Lease"),
    "billing.refund": ("anzu.billing.models", "Refund"),
    "billing.bill": ("anzu.billing.models", "Bill"),
    "dunning.freezerequest": ("anzu.billing.dunning.models", "FreezeRequest"),
    "core.user": ("anzu.core.models", "User"),
    "approvals.approvalrule": ("anzu.risk.approvals.models", "ApprovalRule"),
    "documents.document": ("anzu.documents.models", "Document"),
    "onboarding.importjob": ("anzu.onboarding.models", "ImportJob"),
}


def checker_for(request: ApprovalRequest) -> User:
    """A second administrator of the request's organization (created once)."""
    username = f"checker-{request.organization_id}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username,
            password=None,
            organization_id=request.organization_id,
            kind=UserKind.STAFF,
            scope_all=True,
        )
        for role in (Role.ADMIN, Role.MANAGEMENT, Role.FINANCE):
            RoleGrant.objects.create(user=user, role=role)
    return user


def approve_as(request: Any, checker: User | None = None) -> Any:
    if not isinstance(request, ApprovalRequest):
        return request
    done = services.request_approve(request=request, by=checker or checker_for(request))
    if done.status != RequestStatus.EXECUTED:
        return done
    import importlib

    module, name = _MODELS[done.result["object_type"]]
    model = getattr(importlib.import_module(module), name)
    return model.objects.get(pk=done.result["object_id"])
