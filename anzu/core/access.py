"""Who may see and do what: capabilities by role, staff scope, organization isolation.

Every view and API handler fetches objects through the ``*_for_user`` helpers of the app's
``access.py``, which are built on the primitives here. Objects outside the caller's organization
or scope raise :class:`~anzu.common.errors.NotFound` (HTTP 404), never 403: their existence is not
revealed. A missing role for an action on a visible object raises ``PermissionDenied`` (403).

The capability table is the single source of truth; docs/access.md renders it for operators.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from anzu.common.errors import PermissionDenied
from anzu.core.choices import Role, UserKind

A, M, F, L, CS, FL, E = (
    Role.ADMIN,
    Role.MANAGEMENT,
    Role.FINANCE,
    Role.LEGAL,
    Role.CUSTOMER_SERVICE,
    Role.FRONTLINE,
    Role.ENGINEER,
)

CAPABILITIES: dict[str, frozenset[str]] = {
    # Portfolio: projects, buildings, units, equipment.
    "portfolio.view": frozenset({A, M, F, L, CS, FL, E}),
    "portfolio.write": frozenset({A, M}),
    "equipment.write": frozenset({A, M, E}),
    # Customers.
    "customer.view": frozenset({A, M, F, L, CS, FL}),
    "customer.write": frozenset({A, M, F, CS, FL}),
    # Leases.
    "lease.view": frozenset({A, M, F, L, CS, FL}),
    "lease.write": frozenset({A, M, F}),
    "lease.activate": frozenset({A, M}),
    "lease.terminate": frozenset({A, M, F}),
    # Billing: bills, payments, deposits (amounts still need "amounts.view").
    "billing.view": frozenset({A, M, F, L, CS, FL}),
    "billing.write": frozenset({A, M, F}),
    # Field visibility.
    "amounts.view": frozenset({A, M, F, L, CS}),
    "pii.view": frozenset({F, L, CS}),
    "contract.full": frozenset({A, M, L}),
    # Contract archive: summaries (scoped), uploads and field review, review rule sets.
    "contract.view": frozenset({A, M, F, L, CS, FL}),
    "contract.write": frozenset({A, M, L}),
    "contract.rules": frozenset({A, M, L}),
    # Administration.
    "import.run": frozenset({A, M}),
    "audit.view": frozenset({A, M}),
    "users.manage": frozenset({A}),
    "api.tokens": frozenset({A, M, F, L, CS, FL, E}),
    # Notifications: outbox monitor and sandbox viewer; retries and templates.
    "notify.view": frozenset({A, M, CS}),
    "notify.manage": frozenset({A, M, CS}),
    # Archived documents (signed notices, letters, statements, contract files).
    "documents.view": frozenset({A, M, F, L}),
    # Collections: bank statements, dunning, call queue, freezes, move-out settlement, KPIs.
    "reconciliation.manage": frozenset({A, M, F}),
    "dunning.view": frozenset({A, M, F, L, CS}),
    "dunning.manage": frozenset({A, M}),
    "calls.work": frozenset({A, M, CS}),
    "freeze.approve": frozenset({A, M}),
    "settlement.manage": frozenset({A, M, F}),
    "settlement.approve": frozenset({A, M}),
    "kpi.view": frozenset({A, M, F}),
    # Maintenance work orders.
    "workorders.view": frozenset({A, M, CS, FL, E}),
    "workorders.intake": frozenset({A, M, CS, FL}),
    "workorders.dispatch": frozenset({A, M, CS}),
    "workorders.work": frozenset({E}),
    "workorders.review": frozenset({A, M}),
    "workorders.analytics": frozenset({A, M}),
    "kb.manage": frozenset({A, M, CS}),
    # Maker-checker approvals: see requests (own and in scope); propose rule changes.
    "approvals.view": frozenset({A, M, F, L, CS, FL, E}),
    "approvals.rules": frozenset({A}),
    # Login risk: the decisions log (signals, step-ups, denials) and one's own TOTP devices.
    "signin.decisions": frozenset({A, M}),
    "signin.devices": frozenset({A, M, F, L, CS, FL, E}),
    # Account lifecycle: freeze, reactivate, SCIM tokens, HR webhook status.
    "accounts.manage": frozenset({A}),
}

# Roles that see the whole organization unless restricted on purpose.
ORG_WIDE_ROLES = frozenset({A, M, F, L})


def is_staff_user(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.organization_id is not None
        and user.kind == UserKind.STAFF
    )


def is_tenant_user(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.organization_id is not None
        and user.kind == UserKind.TENANT
        and user.customer_id is not None
    )


def can(user: Any, capability: str) -> bool:
    if not is_staff_user(user):
        return False
    roles = CAPABILITIES.get(capability)
    if roles is None:
        raise KeyError(f"unknown capability {capability!r}")
    return bool(user.role_set & roles)


def require(user: Any, capability: str) -> None:
    if not can(user, capability):
        raise PermissionDenied()


def sees_amounts(user: Any) -> bool:
    return can(user, "amounts.view")


def sees_pii(user: Any) -> bool:
    return can(user, "pii.view")


class Scope:
    """The projects and buildings a staff user manages (``everything`` when org-wide)."""

    def __init__(self, user: Any) -> None:
        self.everything = bool(user.scope_all)
        if self.everything:
            self.project_ids: frozenset[int] = frozenset()
            self.building_ids: frozenset[int] = frozenset()
            return
        project_ids: set[int] = set()
        building_ids: set[int] = set()
        for project_id, building_id in user.scopes.values_list("project_id", "building_id"):
            if project_id is not None:
                project_ids.add(project_id)
            if building_id is not None:
                building_ids.add(building_id)
        self.project_ids = frozenset(project_ids)
        self.building_ids = frozenset(building_ids)

    def q(self, *, project: str, building: str) -> Q:
        """A filter on a model whose project/building lookups are given (e.g. ``"project_id"``)."""
        if self.everything:
            return Q()
        return Q(**{f"{project}__in": self.project_ids}) | Q(
            **{f"{building}__in": self.building_ids}
        )


def scope_of(user: Any) -> Scope:
    cached = getattr(user, "_scope_cache", None)
    if cached is None:
        cached = Scope(user)
        user._scope_cache = cached
    return cached


def org_id(user: Any) -> int:
    """The caller's organization id; staff and tenants always have one."""
    if user is None or user.organization_id is None:
        raise PermissionDenied("This account belongs to no organization.")
    return int(user.organization_id)
