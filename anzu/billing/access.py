"""Fetching bills and payments for a user: organization, lease scope and role enforced here.

Staff with ``billing.view`` see the bills and payments of the leases in their scope (the same
project/building scope as :func:`anzu.leasing.access.leases_for_user`, applied to the copies of
project and building on each row). A tenant sees their own. Anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.billing.models import Bill, Payment
from anzu.common.errors import NotFound
from anzu.core import access
from anzu.leasing import access as leasing_access
from anzu.leasing.models import Lease


def bills_for_user(user: Any) -> QuerySet[Bill]:
    if access.is_tenant_user(user):
        return Bill.objects.filter(
            organization_id=user.organization_id, customer_id=user.customer_id
        )
    if not access.can(user, "billing.view"):
        return Bill.objects.none()
    scope = access.scope_of(user)
    return Bill.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="project_id", building="building_id")
    )


def payments_for_user(user: Any) -> QuerySet[Payment]:
    if access.is_tenant_user(user):
        return Payment.objects.filter(
            organization_id=user.organization_id, customer_id=user.customer_id
        )
    if not access.can(user, "billing.view"):
        return Payment.objects.none()
    scope = access.scope_of(user)
    return Payment.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="project_id", building="building_id")
    )


def bill_for_user(user: Any, pk: Any) -> Bill:
    try:
        return bills_for_user(user).select_related("lease", "unit", "customer").get(pk=int(pk))
    except (ValueError, TypeError, Bill.DoesNotExist):
        raise NotFound("bill") from None


def payment_for_user(user: Any, pk: Any) -> Payment:
    try:
        return payments_for_user(user).select_related("customer", "lease").get(pk=int(pk))
    except (ValueError, TypeError, Payment.DoesNotExist):
        raise NotFound("payment") from None


def sees_amounts(user: Any) -> bool:
    return access.sees_amounts(user) or access.is_tenant_user(user)


def can_view_billing(user: Any) -> bool:
    return access.is_tenant_user(user) or access.can(user, "billing.view")


def lease_for_billing(user: Any, pk: Any) -> Lease:
    """A lease whose ledger the user may see (lease scope and ``billing.view``), else 404."""
    if not can_view_billing(user):
        raise NotFound("lease")
    return leasing_access.lease_for_user(user, pk)
