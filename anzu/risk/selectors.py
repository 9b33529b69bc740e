"""Read-only queries for the audit pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from anzu.core import access
from anzu.core.models import AuditEvent
from anzu.risk import auditlog
from anzu.risk.models import SignedCheckpoint


def audit_events_for_user(
    user: Any,
    *,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    if not access.can(user, "audit.view"):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.filter(organization_id=access.org_id(user))
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(actor_label=actor)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs.order_by("-id")


def log_status() -> dict[str, Any]:
    size, root = auditlog.current_root()
    latest = SignedCheckpoint.objects.order_by("-id").first()
    return {
        "size": size,
        "root": root.hex(),
        "checkpoint": latest,
        "pending": AuditEvent.objects.count() - size,
    }
