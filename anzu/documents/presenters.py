"""What a user may see of notices and notice templates (the API and the pages both use these).

Amounts are ``None`` for roles without ``amounts.view``. The customer's name is shown as on the
letter itself; identity numbers and phones never appear in a notice.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from anzu.core import access
from anzu.documents.models import NoticeIssue, NoticeTemplate
from anzu.documents.notice_text import PLACEHOLDERS, placeholders_in


def present_notice(user: Any, issue: NoticeIssue, *, show: bool | None = None) -> dict[str, Any]:
    show = access.sees_amounts(user) if show is None else show
    document_id = issue.document_id
    return {
        "id": issue.pk,
        "number": issue.number,
        "kind": issue.kind,
        "kind_label": str(issue.get_kind_display()),
        "lease_id": issue.lease_id,
        "lease_code": issue.lease.code,
        "customer_id": issue.customer_id,
        "customer_name": issue.customer.name,
        "issued_on": issue.issued_on,
        "amount": issue.amount if show else None,
        "amounts_hidden": not show,
        "template_id": issue.template_id,
        "template_version": issue.template.version,
        "document_id": document_id,
        "sha256": issue.document.sha256 if issue.document is not None else "",
        "download_url": reverse("documents:download", args=[document_id]) if document_id else "",
        "verify_url": reverse("documents:verify", args=[document_id]) if document_id else "",
        "idempotency_key": issue.idempotency_key,
        "issued_by": issue.created_by.username if issue.created_by is not None else "system",
        "created_at": issue.created_at,
    }


def template_placeholders(template: NoticeTemplate) -> list[str]:
    try:
        return placeholders_in(template.body, field="body")
    except Exception:
        return []


def present_template(template: NoticeTemplate) -> dict[str, Any]:
    return {
        "id": template.pk,
        "kind": template.kind,
        "kind_label": str(template.get_kind_display()),
        "version": template.version,
        "status": template.status,
        "status_label": str(template.get_status_display()),
        "title": template.title,
        "body": template.body,
        "consequences": template.consequences,
        "deadline_days": template.deadline_days,
        "placeholders": template_placeholders(template),
        "created_by": template.created_by.username if template.created_by is not None else "system",
        "created_at": template.created_at,
        "published_at": template.published_at,
        "retired_at": template.retired_at,
    }


def placeholder_catalog() -> list[tuple[str, str]]:
    return [(name, str(label)) for name, label in PLACEHOLDERS.items()]
