"""Reads of the documents app: notice lists, template versions, previews."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common import clock
from anzu.core import access
from anzu.core.models import Organization
from anzu.documents.access import notice_issues_for_user, notice_templates_for_user
from anzu.documents.choices import NoticeKind
from anzu.documents.models import NoticeIssue, NoticeTemplate


def notice_search(
    user: Any,
    *,
    kind: str = "",
    lease_id: int | None = None,
    customer_id: int | None = None,
) -> QuerySet[NoticeIssue]:
    qs = notice_issues_for_user(user).select_related(
        "lease", "customer", "template", "document", "created_by"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if lease_id is not None:
        qs = qs.filter(lease_id=lease_id)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-created_at", "-id")


def templates_by_kind(user: Any) -> list[dict[str, Any]]:
    """For each notice kind: its versions, newest first, and the published and draft ones."""
    rows = list(notice_templates_for_user(user).select_related("created_by").order_by("-version"))
    groups = []
    for kind, label in NoticeKind.choices:
        versions = [t for t in rows if t.kind == kind]
        groups.append(
            {
                "kind": kind,
                "label": label,
                "versions": versions,
                "published": next((t for t in versions if t.status == "published"), None),
                "draft": next((t for t in versions if t.status == "draft"), None),
            }
        )
    return groups


def template_preview(
    *,
    user: Any,
    template: NoticeTemplate,
    title: Any = None,
    body: Any = None,
    consequences: Any = None,
    deadline_days: Any = None,
) -> bytes:
    """A sample PDF of ``template`` (or of unsaved changes to it); refused like a save when
    the text is bad."""
    from anzu.documents.notice_render import sample_pdf
    from anzu.documents.notices import clean_template_text

    access.require(user, "documents.view")
    cleaned = clean_template_text(
        title=template.title if title is None else title,
        body=template.body if body is None else body,
        consequences=template.consequences if consequences is None else consequences,
        deadline_days=template.deadline_days if deadline_days is None else deadline_days,
    )
    organization = Organization.objects.get(pk=template.organization_id)
    return sample_pdf(
        organization=organization,
        title=cleaned["title"],
        body=cleaned["body"],
        consequences=cleaned["consequences"],
        deadline_days=cleaned["deadline_days"],
        on=clock.today(organization.time_zone),
    )
