"""Fetching customers and leases for a user: organization, scope and role enforced here."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.leasing.models import Customer, Lease


def leases_for_user(user: Any) -> QuerySet[Lease]:
    if access.is_tenant_user(user):
        return Lease.objects.filter(
            organization_id=user.organization_id, customer_id=user.customer_id
        )
    if not access.can(user, "lease.view"):
        return Lease.objects.none()
    scope = access.scope_of(user)
    return Lease.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="project_id", building="building_id")
    )


def customers_for_user(user: Any) -> QuerySet[Customer]:
    if access.is_tenant_user(user):
        return Customer.objects.filter(organization_id=user.organization_id, pk=user.customer_id)
    if not access.can(user, "customer.view"):
        return Customer.objects.none()
    scope = access.scope_of(user)
    qs = Customer.objects.filter(organization_id=user.organization_id)
    if scope.everything:
        return qs
    in_scope_lease = Lease.objects.filter(customer_id=OuterRef("pk")).filter(
        scope.q(project="project_id", building="building_id")
    )
    return qs.filter(Exists(in_scope_lease)) | qs.filter(project_id__in=scope.project_ids)


def lease_for_user(user: Any, pk: Any) -> Lease:
    try:
        return (
            leases_for_user(user)
            .select_related("unit", "building", "project", "customer")
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, Lease.DoesNotExist):
        raise NotFound("lease") from None


def customer_for_user(user: Any, pk: Any) -> Customer:
    try:
        return customers_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, Customer.DoesNotExist):
        raise NotFound("customer") from None
