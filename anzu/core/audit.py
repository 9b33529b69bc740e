"""Audit recording: every service write calls :func:`record` inside its transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction

from anzu.common import clock
from anzu.core import context
from anzu.core.models import AuditEvent, Organization, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


# Fields whose values never enter the audit log in clear text.
SENSITIVE_FIELDS = frozenset({"id_number", "phone", "password"})


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = _jsonable(getattr(obj, attname))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields that changed; sensitive ones redacted."""
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            if key in SENSITIVE_FIELDS:
                changes[key] = ["<redacted>" if old else None, "<redacted>" if new else None]
            else:
                changes[key] = [old, new]
    return changes


def record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    organization: Organization | int | None,
    actor: User | None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Must be called inside the write's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the write it records")
    ctx = context.current()
    org_id = organization.pk if isinstance(organization, Organization) else organization
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
    return AuditEvent.objects.create(
        organization_id=org_id,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.username if actor is not None else "system")[:150],
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        object_repr=(str(obj) if obj is not None else "")[:200],
        changes=_jsonable(changes or {}),
        request_id=ctx.request_id,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        created_at=clock.now(),
    )


def bulk_record(events: list[AuditEvent]) -> None:
    """Insert many prepared events (used by set-based jobs such as imports and demo seeding)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.bulk_record must run inside a transaction")
    AuditEvent.objects.bulk_create(events, batch_size=2000)
