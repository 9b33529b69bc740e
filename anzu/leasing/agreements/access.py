"""Fetching agreements and templates for a user: organization, lease scope and role.

Staff see the agreements of the leases in their scope (``lease.view``); a tenant sees the
agreements of their own leases once sent for signature. Anything out of reach is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.leasing.agreements.choices import AgreementStatus
from anzu.leasing.agreements.models import AgreementTemplate, LeaseAgreement

TENANT_VISIBLE = (AgreementStatus.SENT_FOR_SIGNATURE, AgreementStatus.SIGNED)


def agreements_for_user(user: Any) -> QuerySet[LeaseAgreement]:
    if access.is_tenant_user(user):
        return LeaseAgreement.objects.filter(
            organization_id=user.organization_id,
            lease__customer_id=user.customer_id,
            status__in=TENANT_VISIBLE,
        )
    if not access.can(user, "lease.view"):
        return LeaseAgreement.objects.none()
    scope = access.scope_of(user)
    return LeaseAgreement.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="lease__project_id", building="lease__building_id")
    )


def agreement_for_user(user: Any, pk: Any) -> LeaseAgreement:
    try:
        return (
            agreements_for_user(user)
            .select_related(
                "lease__customer",
                "lease__unit",
                "lease__building",
                "lease__project",
                "template",
                "created_by",
            )
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, LeaseAgreement.DoesNotExist):
        raise NotFound("agreement") from None


def agreement_by_flow_for_tenant(user: Any, provider: str, flow_id: str) -> LeaseAgreement:
    """The agreement of a signing flow (in any state once sent), for the tenant who signs it;
    anyone else gets a 404."""
    if not access.is_tenant_user(user):
        raise NotFound("agreement")
    agreement = (
        LeaseAgreement.objects.select_related("lease", "template")
        .filter(
            organization_id=user.organization_id,
            lease__customer_id=user.customer_id,
            provider=provider,
            flow_id=flow_id,
        )
        .exclude(flow_id="")
        .first()
    )
    if agreement is None:
        raise NotFound("agreement")
    return agreement


def templates_for_user(user: Any) -> QuerySet[AgreementTemplate]:
    if not access.can(user, "lease.view"):
        return AgreementTemplate.objects.none()
    return AgreementTemplate.objects.filter(organization_id=access.org_id(user))


def template_for_user(user: Any, pk: Any) -> AgreementTemplate:
    try:
        return templates_for_user(user).select_related("created_by").get(pk=int(pk))
    except (ValueError, TypeError, AgreementTemplate.DoesNotExist):
        raise NotFound("agreement template") from None
