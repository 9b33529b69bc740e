"""Fetching archived documents for a user: organization and role enforced here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.documents.models import Document


def documents_for_user(user: Any) -> QuerySet[Document]:
    if not access.can(user, "documents.view"):
        return Document.objects.none()
    return Document.objects.filter(organization_id=access.org_id(user))


def document_for_user(user: Any, pk: Any) -> Document:
    try:
        return documents_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, Document.DoesNotExist):
        raise NotFound("document") from None
