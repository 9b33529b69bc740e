"""Audit recording: every service write calls :func:`record` inside its transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import os
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


# Secrets never enter the audit log at all, not even hashed.
SENSITIVE_FIELDS = frozenset({"password"})
PII_PREFIX = "pii:"


def personal_fields(obj: Any) -> tuple[str, ...]:
    """The fields of ``obj``'s model that hold personal data (``AUDIT_PERSONAL_FIELDS``)."""
    return tuple(getattr(obj, "AUDIT_PERSONAL_FIELDS", ()))


def object_label(obj: models.Model) -> str:
    """How the audit log names an object; never personal data (``audit_label`` when defined)."""
    label = getattr(obj, "audit_label", None)
    return str(label if label is not None else obj)[:200]


def subject_salts(model: type[models.Model], ids: Iterable[Any]) -> dict[str, bytes]:
    """The salt of each subject, created on first use (set-based; safe under concurrency)."""
    from anzu.core.models import SubjectKey

    subject_type = model._meta.label_lower
    wanted = {str(i) for i in ids}
    found = {
        k.subject_id: bytes(k.salt)
        for k in SubjectKey.objects.filter(subject_type=subject_type, subject_id__in=wanted)
    }
    missing = wanted - set(found)
    if missing:
        SubjectKey.objects.bulk_create(
            [
                SubjectKey(subject_type=subject_type, subject_id=i, salt=os.urandom(32))
                for i in missing
            ],
            ignore_conflicts=True,
        )
        found.update(
            {
                k.subject_id: bytes(k.salt)
                for k in SubjectKey.objects.filter(
                    subject_type=subject_type, subject_id__in=missing
                )
            }
        )
    return found


def pii_token(salt: bytes, value: Any) -> str | None:
    """A keyed hash of one personal value; equal values of one person give equal tokens."""
    if value in (None, ""):
        return value  # type: ignore[no-any-return]
    data = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return PII_PREFIX + hmac.new(salt, data.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def protect(changes: dict[str, Any], fields: Iterable[str], salt: bytes) -> dict[str, Any]:
    """``changes`` with the personal ``fields`` replaced by keyed hashes under ``salt``."""
    personal = set(fields)
    return {
        name: [pii_token(salt, v) for v in values] if name in personal else values
        for name, values in changes.items()
    }


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
        fields = personal_fields(obj)
        if changes and fields and set(fields) & set(changes):
            salt = subject_salts(type(obj), [obj.pk])[str(obj.pk)]
            changes = protect(changes, fields, salt)
    event = AuditEvent(
        organization_id=org_id,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.username if actor is not None else "system")[:150],
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        object_repr=object_label(obj) if obj is not None else "",
        changes=_jsonable(changes or {}),
        request_id=ctx.request_id,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        created_at=clock.now(),
    )
    _insert(event)
    return event


# The columns ``record`` writes, and the INSERT for them, built once per database vendor: the
# ORM's per-call query compilation cost more than the rest of an append together. Only the
# JSON, address and time columns need the field's conversion; the others are str, int or None.
_INSERT_FIELDS = tuple(f for f in AuditEvent._meta.concrete_fields if not f.primary_key)
_CONVERTED = frozenset({"changes", "ip", "created_at"})
_INSERT_SQL: dict[str, str] = {}


def _insert(event: AuditEvent) -> None:
    """INSERT ``event`` with a statement built once, and set its primary key."""
    vendor = connection.vendor
    returning = connection.features.can_return_columns_from_insert
    sql = _INSERT_SQL.get(vendor)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in _INSERT_FIELDS)
        placeholders = ", ".join(["%s"] * len(_INSERT_FIELDS))
        sql = f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) VALUES ({placeholders})"
        if returning:
            sql += " RETURNING " + quote(str(AuditEvent._meta.pk.column))  # type: ignore[union-attr]
        _INSERT_SQL[vendor] = sql
    values = event.__dict__
    params = [
        f.get_db_prep_save(values[f.attname], connection)
        if f.name in _CONVERTED
        else values[f.attname]
        for f in _INSERT_FIELDS
    ]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        event.pk = cur.fetchone()[0] if returning else cur.lastrowid
    event._state.adding = False
    event._state.db = connection.alias


def bulk_record(events: list[AuditEvent]) -> None:
    """Insert many prepared events (used by set-based jobs such as imports and demo seeding)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.bulk_record must run inside a transaction")
    AuditEvent.objects.bulk_create(events, batch_size=2000)
