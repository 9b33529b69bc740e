"""Fetching archived documents, notices and notice templates for a user.

Organization, role (``documents.view``) and, for notices, the lease scope are enforced here;
anything out of reach is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.documents.models import Document, NoticeIssue, NoticeTemplate


def documents_for_user(user: Any) -> QuerySet[Document]:
    if not access.can(user, "documents.view"):
        return Document.objects.none()
    return Document.objects.filter(organization_id=access.org_id(user))


def document_for_user(user: Any, pk: Any) -> Document:
    try:
        return documents_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, Document.DoesNotExist):
        raise NotFound("document") from None


def notice_issues_for_user(user: Any) -> QuerySet[NoticeIssue]:
    """Notices of the leases in the user's scope (``documents.view``), else none."""
    if not access.can(user, "documents.view"):
        return NoticeIssue.objects.none()
    scope = access.scope_of(user)
    return NoticeIssue.objects.filter(organization_id=access.org_id(user)).filter(
        scope.q(project="lease__project_id", building="lease__building_id")
    )


def notice_issue_for_user(user: Any, pk: Any) -> NoticeIssue:
    try:
        return (
            notice_issues_for_user(user)
            .select_related("lease", "customer", "template", "document", "created_by")
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, NoticeIssue.DoesNotExist):
        raise NotFound("notice") from None


def notice_templates_for_user(user: Any) -> QuerySet[NoticeTemplate]:
    if not access.can(user, "documents.view"):
        return NoticeTemplate.objects.none()
    return NoticeTemplate.objects.filter(organization_id=access.org_id(user))


def notice_template_for_user(user: Any, pk: Any) -> NoticeTemplate:
    try:
        return notice_templates_for_user(user).select_related("created_by").get(pk=int(pk))
    except (ValueError, TypeError, NoticeTemplate.DoesNotExist):
        raise NotFound("notice template") from None
