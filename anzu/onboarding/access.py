"""Fetching import jobs for a user: the import role and the organization are enforced here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.onboarding.models import ImportJob


def jobs_for_user(user: Any) -> QuerySet[ImportJob]:
    if not access.can(user, "import.run"):
        return ImportJob.objects.none()
    # The uploaded bytes are only for the job runner; pages and the API never load them.
    return ImportJob.objects.filter(organization_id=user.organization_id).defer("payload")


def job_for_user(user: Any, pk: Any) -> ImportJob:
    """The job, or NotFound when it belongs to another organization or the user may not import."""
    try:
        return jobs_for_user(user).select_related("created_by").get(pk=int(pk))
    except (ValueError, TypeError, ImportJob.DoesNotExist):
        raise NotFound("import job") from None
