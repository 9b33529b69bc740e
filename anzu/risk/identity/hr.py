"""The HR offboarding webhook: signed deliveries that freeze an employee's account.

A delivery is ``POST /api/v1/hr/offboarding`` with a JSON body and two headers:
``X-Anzu-Timestamp`` (Unix seconds) and ``X-Anzu-Signature`` (hex HMAC-SHA256 of
``timestamp + "." + body`` under ``ANZU_HR_WEBHOOK_SECRET``). It is checked in this order, and
every refusal leaves the state unchanged: the signature (401), the timestamp window (401), the
body (422), the event id not seen before (409), the employee (404). An effective time in the
future schedules the freeze; :func:`hr_apply_due` applies it when it falls due.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, DomainError, ValidationFailed
from anzu.core import audit
from anzu.core.choices import UserKind
from anzu.core.models import User
from anzu.risk.identity.choices import EventKind, HrEventStatus, Source
from anzu.risk.identity.models import AccountState, HrWebhookEvent
from anzu.risk.identity.services import _event, account_freeze, state_of

TOLERANCE_SECONDS = 300
FIELDS = frozenset({"event_id", "employee_id", "username", "email", "effective_at", "organization"})


class Unauthenticated(DomainError):
    status = 401


class NotConfigured(DomainError):
    status = 503


class UnknownEmployee(DomainError):
    status = 404


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 a sender puts in ``X-Anzu-Signature``."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _authenticate(*, body: bytes, timestamp: str, sig: str) -> None:
    secret = settings.HR_WEBHOOK_SECRET
    if not secret:
        raise NotConfigured(
            "not_configured", "The HR webhook is not configured (ANZU_HR_WEBHOOK_SECRET)."
        )
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise Unauthenticated(
            "bad_timestamp", "X-Anzu-Timestamp must be Unix seconds.", field="X-Anzu-Timestamp"
        )
    expected = signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, sig.strip().lower()):
        raise Unauthenticated(
            "bad_signature", "The signature does not match the body.", field="X-Anzu-Signature"
        )
    age = clock.now().timestamp() - int(timestamp)
    if abs(age) > TOLERANCE_SECONDS:
        raise Unauthenticated(
            "stale_timestamp",
            f"The timestamp is more than {TOLERANCE_SECONDS} seconds away from now.",
            field="X-Anzu-Timestamp",
        )


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed("invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ValidationFailed("invalid", "The body must be a JSON object.")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise ValidationFailed("unknown_field", f"Unknown field {unknown[0]!r}.", field=unknown[0])
    for name in FIELDS:
        if name in data and data[name] is not None and not isinstance(data[name], str):
            raise ValidationFailed("invalid", "Expected a string.", field=name)
    event_id = v.text(data.get("event_id"), field="event_id", max_length=200)
    keys = {k: str(data.get(k) or "").strip() for k in ("employee_id", "username", "email")}
    if not any(keys.values()):
        raise ValidationFailed(
            "required", "Give employee_id, username or email.", field="employee_id"
        )
    effective_at = clock.now()
    raw_time = data.get("effective_at")
    if raw_time:
        try:
            effective_at = dt.datetime.fromisoformat(raw_time)
        except ValueError:
            raise ValidationFailed(
                "invalid", "Enter an ISO 8601 time with its offset.", field="effective_at"
            ) from None
        if effective_at.tzinfo is None:
            raise ValidationFailed(
                "invalid", "The effective time needs a UTC offset.", field="effective_at"
            )
    return {
        "event_id": event_id,
        **keys,
        "organization": str(data.get("organization") or "").strip(),
        "effective_at": effective_at,
    }


def _employee(data: dict[str, Any]) -> User:
    qs = User.objects.filter(kind=UserKind.STAFF, organization__isnull=False)
    if data["organization"]:
        qs = qs.filter(organization__slug=data["organization"])
    match = Q()
    field = "employee_id"
    if data["employee_id"]:
        ids = AccountState.objects.filter(employee_id=data["employee_id"]).values("user_id")
        match = Q(pk__in=ids)
    elif data["username"]:
        match, field = Q(username=data["username"]), "username"
    else:
        match, field = Q(email__iexact=data["email"]), "email"
    found = list(qs.filter(match)[:2])
    if not found:
        raise UnknownEmployee("unknown_employee", "No account matches this employee.", field=field)
    if len(found) > 1:
        raise Conflict(
            "ambiguous_employee",
            "More than one account matches; name the organization.",
            field="organization",
        )
    return found[0]


def hr_offboarding_receive(*, body: bytes, timestamp: str, sig: str) -> dict[str, Any]:
    """Check and apply one delivery; returns ``{"status", "user_id", "effective_at", ...}``."""
    _authenticate(body=body, timestamp=timestamp, sig=sig)
    data = _parse(body)
    user = _employee(data)
    now = clock.now()
    due = data["effective_at"] <= now
    reason = f"HR offboarding {data['event_id']}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = HrWebhookEvent.objects.create(
                    event_id=data["event_id"],
                    organization_id=int(user.organization_id or 0),
                    user=user,
                    body_sha256=hashlib.sha256(body).hexdigest(),
                    effective_at=data["effective_at"],
                    received_at=now,
                    status=HrEventStatus.APPLIED if due else HrEventStatus.SCHEDULED,
                    applied_at=now if due else None,
                )
        except IntegrityError:
            raise Conflict(
                "replayed", "This event id was already received.", field="event_id"
            ) from None
        if due:
            state, changed = account_freeze(
                user=user,
                reason=reason,
                source=Source.HR_WEBHOOK,
                by=None,
                external_id=data["event_id"],
            )
            status = "frozen" if changed else "already_frozen"
        else:
            state = state_of(user)
            _event(
                user=user,
                kind=EventKind.FREEZE_SCHEDULED,
                source=Source.HR_WEBHOOK,
                reason=reason,
                at=now,
                by=None,
                external_id=data["event_id"],
                data={"effective_at": data["effective_at"].isoformat()},
            )
            audit.record(
                action="account.freeze_scheduled",
                obj=user,
                organization=user.organization_id,
                actor=None,
                changes={
                    "effective_at": [None, data["effective_at"]],
                    "external_id": [None, data["event_id"]],
                },
            )
            status = "scheduled"
    return {
        "status": status,
        "event_id": event.event_id,
        "user_id": user.pk,
        "username": user.username,
        "effective_at": event.effective_at,
        "account_status": state.status,
        "frozen_at": state.frozen_at,
    }


def hr_apply_due(*, now: dt.datetime | None = None) -> list[int]:
    """Apply scheduled offboarding freezes whose time has come; returns the accounts frozen."""
    now = now or clock.now()
    frozen: list[int] = []
    due = HrWebhookEvent.objects.filter(
        status=HrEventStatus.SCHEDULED, effective_at__lte=now
    ).order_by("effective_at", "id")
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            event = HrWebhookEvent.objects.select_for_update().select_related("user").get(pk=pk)
            if event.status != HrEventStatus.SCHEDULED:
                continue
            _state, changed = account_freeze(
                user=event.user,
                reason=f"HR offboarding {event.event_id}",
                source=Source.HR_WEBHOOK,
                by=None,
                external_id=event.event_id,
            )
            event.status = HrEventStatus.APPLIED
            event.applied_at = now
            event.save(update_fields=["status", "applied_at"])
            if changed:
                frozen.append(event.user_id)
    return frozen
