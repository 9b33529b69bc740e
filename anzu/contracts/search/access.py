"""Fetching contracts, search rows and renewal records for a user.

The same rules as the contract archive: the caller's organization, their project/building scope
(frontline staff see their own units only) and the capability to see contract summaries
(``contract.view``). Full-text matches and snippets
need ``contract.full``; amounts need ``amounts.view`` (see the presenters). Outside the
organization or scope → :class:`~anzu.common.errors.NotFound`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.contracts import access as contracts_access
from anzu.contracts.models import Contract
from anzu.contracts.search.models import SearchEntry
from anzu.core import access

# Renewal follow-up and drafting the renewal lease (lease_create itself needs it too).
RENEWAL_CAPABILITY = "lease.write"


VIEW_CAPABILITY = "contract.view"


def may_view(user: Any) -> bool:
    return access.can(user, VIEW_CAPABILITY)


def sees_full_text(user: Any) -> bool:
    return access.can(user, "contract.full")


def contracts_for_user(user: Any) -> QuerySet[Contract]:
    """The archive's own rule (organization, scope, ``contract.view``)."""
    return contracts_access.contracts_for_user(user)


def contract_for_user(user: Any, pk: Any) -> Contract:
    try:
        return contracts_for_user(user).select_related("lease", "unit", "project").get(pk=int(pk))
    except (TypeError, ValueError, Contract.DoesNotExist):
        raise NotFound("contract") from None


def entries_for_user(user: Any) -> QuerySet[SearchEntry]:
    if not may_view(user):
        return SearchEntry.objects.none()
    scope = access.scope_of(user)
    return SearchEntry.objects.filter(organization_id=user.organization_id).filter(
        scope.q(project="project_id", building="building_id")
    )


def require_view(user: Any) -> None:
    access.require(user, VIEW_CAPABILITY)
