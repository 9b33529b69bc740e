"""Fetching statement imports and lines for a user: organization and role enforced here.

Bank statements belong to the organization's accounts, not to a project: staff with
``reconciliation.manage`` see every import and line of their organization (recording a payment
from the review queue still checks the lease's scope). Anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.billing.reconciliation.models import StatementImport, StatementLine
from anzu.common.errors import NotFound
from anzu.core import access

CAPABILITY = "reconciliation.manage"


def imports_for_user(user: Any) -> QuerySet[StatementImport]:
    if not access.can(user, CAPABILITY):
        return StatementImport.objects.none()
    return StatementImport.objects.filter(organization_id=user.organization_id)


def lines_for_user(user: Any) -> QuerySet[StatementLine]:
    if not access.can(user, CAPABILITY):
        return StatementLine.objects.none()
    return StatementLine.objects.filter(organization_id=user.organization_id)


def import_for_user(user: Any, pk: Any) -> StatementImport:
    try:
        return imports_for_user(user).select_related("uploaded_by").get(pk=int(pk))
    except (ValueError, TypeError, StatementImport.DoesNotExist):
        raise NotFound("statement") from None


def line_for_user(user: Any, pk: Any) -> StatementLine:
    try:
        return lines_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, StatementLine.DoesNotExist):
        raise NotFound("statement line") from None
