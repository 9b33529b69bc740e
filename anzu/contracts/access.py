"""Fetching archived contracts, their fields, rule sets and batches for a user.

``contract.view`` shows summaries of the contracts in the user's scope (project or building;
contracts filed under no project are visible to organization-wide users only). The full text,
the original file and the report need ``contract.full``; amounts need ``amounts.view`` and
identity numbers ``pii.view`` (applied by the presenters). Out of reach → 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.contracts.models import Contract, ContractBatch, ContractField, ReviewRuleSet
from anzu.core import access


def contracts_for_user(user: Any) -> QuerySet[Contract]:
    if not access.can(user, "contract.view"):
        return Contract.objects.none()
    scope = access.scope_of(user)
    return Contract.objects.filter(organization_id=access.org_id(user)).filter(
        scope.q(project="project_id", building="building_id")
    )


def contract_for_user(user: Any, pk: Any) -> Contract:
    try:
        return (
            contracts_for_user(user)
            .select_related("project", "building", "unit", "lease", "document", "created_by")
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, Contract.DoesNotExist):
        raise NotFound("contract") from None


def contract_fields_for_user(user: Any) -> QuerySet[ContractField]:
    return ContractField.objects.filter(contract__in=contracts_for_user(user))


def contract_field_for_user(user: Any, pk: Any) -> ContractField:
    try:
        return (
            contract_fields_for_user(user)
            .select_related("contract", "corrected_by")
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, ContractField.DoesNotExist):
        raise NotFound("field") from None


def rule_sets_for_user(user: Any) -> QuerySet[ReviewRuleSet]:
    if not access.can(user, "contract.view"):
        return ReviewRuleSet.objects.none()
    return ReviewRuleSet.objects.filter(organization_id=access.org_id(user))


def rule_set_for_user(user: Any, pk: Any) -> ReviewRuleSet:
    try:
        return rule_sets_for_user(user).select_related("created_by").get(pk=int(pk))
    except (ValueError, TypeError, ReviewRuleSet.DoesNotExist):
        raise NotFound("rule set") from None


def batches_for_user(user: Any) -> QuerySet[ContractBatch]:
    """Batches are visible to those who may upload (``contract.write``) in the organization."""
    if not access.can(user, "contract.write"):
        return ContractBatch.objects.none()
    return ContractBatch.objects.filter(organization_id=access.org_id(user))


def batch_for_user(user: Any, pk: Any) -> ContractBatch:
    try:
        return batches_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, ContractBatch.DoesNotExist):
        raise NotFound("batch") from None
