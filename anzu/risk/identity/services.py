"""Account lifecycle writes: freeze, reactivate, set a new password, profile, SCIM tokens.

A freeze is immediate and complete: the account is made inactive, its sessions are deleted, its
API tokens revoked, its open work handed back to the queues and its pending approvals
reassigned. The identity itself stays, so the audit log keeps referring to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, NotFound, ValidationFailed
from anzu.core import access, audit
from anzu.core.choices import UserKind
from anzu.core.models import ApiToken, User
from anzu.risk.identity.choices import AccountStatus, EventKind, Source
from anzu.risk.identity.models import AccountEvent, AccountState, ScimToken
from anzu.risk.identity.sessions import delete_sessions_of

RESET_LINK_HOURS = 72
SCIM_TOKEN_PREFIX = "scim_"
FROZEN_NOTE = "账号已冻结，工作退回队列 / account frozen, work returned to the queue"

MESSAGES = [
    gettext_noop("Give a reason."),
    gettext_noop("You cannot freeze your own account."),
    gettext_noop("This account is not frozen."),
    gettext_noop("This employee id is used by another account."),
    gettext_noop("Only staff accounts have a lifecycle here."),
    gettext_noop("This account does not need a password reset."),
    gettext_noop("The two passwords differ."),
    gettext_noop("Enter a password."),
    gettext_noop("Expected true or false."),
]


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def state_of(user: User) -> AccountState:
    """The user's lifecycle row, created on first use."""
    if user.organization_id is None:
        raise ValidationFailed("invalid", "This account belongs to no organization.", field="user")
    # A new row starts "active" even for an account deactivated elsewhere (e.g. the Django
    # admin): freezing it then still revokes its tokens and sessions and records the event.
    state, _created = AccountState.objects.get_or_create(
        user=user, defaults={"organization_id": user.organization_id}
    )
    return state


def state_of_or_none(user: User) -> AccountState | None:
    return AccountState.objects.filter(user_id=user.pk).first()


def _check_source(source: str) -> str:
    return v.choice(source, field="source", choices=Source.choices)


def _check_manual(*, user: User, by: Any, source: str) -> None:
    """A person acting by hand needs ``accounts.manage`` in the account's organization."""
    if source == Source.MANUAL or by is not None:
        access.require(by, "accounts.manage")
        if by.organization_id != user.organization_id:
            raise NotFound("user")
    if user.kind != UserKind.STAFF:
        raise ValidationFailed(
            "invalid", "Only staff accounts have a lifecycle here.", field="user"
        )


def _event(
    *,
    user: User,
    kind: str,
    source: str,
    reason: str,
    at: dt.datetime,
    by: Any,
    external_id: str = "",
    data: dict[str, Any] | None = None,
) -> AccountEvent:
    return AccountEvent.objects.create(
        organization_id=access.org_id(user),
        user=user,
        kind=kind,
        source=source,
        reason=reason,
        at=at,
        by=by if by is not None and getattr(by, "pk", None) else None,
        external_id=external_id[:200],
        data=data or {},
    )


# Freeze ------------------------------------------------------------------------------------


def account_freeze(
    *, user: User, reason: str, source: str, by: User | None, external_id: str = ""
) -> tuple[AccountState, bool]:
    """Freeze at once. Returns the state and whether anything changed (False: already frozen)."""
    source = _check_source(source)
    reason = v.text(reason, field="reason", max_length=300)
    _check_manual(user=user, by=by, source=source)
    if by is not None and by.pk == user.pk:
        raise ValidationFailed("self_lockout", "You cannot freeze your own account.", field="user")
    now = clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        state = state_of(locked)
        state = AccountState.objects.select_for_update().get(pk=state.pk)
        if not locked.is_active and state.status == AccountStatus.FROZEN:
            return state, False
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        state.status = AccountStatus.FROZEN
        state.frozen_at = now
        state.frozen_source = source
        state.frozen_reason = reason
        state.password_reset_required = False
        state.reset_token_hash = ""
        state.reset_expires_at = None
        state.save()
        tokens = ApiToken.objects.filter(user=locked, revoked_at__isnull=True).update(
            revoked_at=now
        )
        sessions = delete_sessions_of(locked)
        work = _reassign_work(locked, by=by, at=now)
        data = {"tokens_revoked": tokens, "sessions_deleted": sessions, **work}
        _event(
            user=locked,
            kind=EventKind.FROZEN,
            source=source,
            reason=reason,
            at=now,
            by=by,
            external_id=external_id,
            data=data,
        )
        audit.record(
            action="account.freeze",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={
                "is_active": [True, False],
                "source": [None, source],
                "reason": [None, reason],
                "external_id": [None, external_id or None],
                **{k: [None, val] for k, val in data.items()},
            },
        )
    user.is_active = False
    return state, True


def _reassign_work(user: User, *, by: User | None, at: dt.datetime) -> dict[str, Any]:
    return {
        "calls_returned": _return_calls(user, by=by),
        "tickets_returned": _return_tickets(user, by=by, at=at),
        "approvals": _reassign_approvals(user, by=by),
    }


def _return_calls(user: User, *, by: User | None) -> list[int]:
    """Open dunning calls assigned to the user go back to the shared call queue."""
    from anzu.billing.dunning.choices import CallStatus
    from anzu.billing.dunning.models import CallTask

    calls = list(
        CallTask.objects.select_for_update()
        .filter(assigned_to=user, status=CallStatus.OPEN)
        .order_by("id")
    )
    if not calls:
        return []
    CallTask.objects.filter(pk__in=[c.pk for c in calls]).update(assigned_to=None)
    for call in calls:
        audit.record(
            action="dunning.call_assign",
            obj=call,
            organization=call.organization_id,
            actor=by,
            changes={"assigned_to": [user.pk, None], "note": [None, FROZEN_NOTE]},
        )
    return [c.pk for c in calls]


def _return_tickets(user: User, *, by: User | None, at: dt.datetime) -> list[int]:
    """Open work orders of the user go back to the dispatch pool, each with a timeline note.

    Offers waiting for the user's answer are withdrawn; accepted and on-site work orders lose
    their engineer and return to *dispatching* (on-site work cannot be finished by someone
    who has left; the timeline records where it stood).
    """
    from anzu.maintenance.choices import AssignmentStatus, TicketStatus
    from anzu.maintenance.models import Assignment, Ticket, TicketEvent
    from anzu.maintenance.services import move

    returned: list[int] = []
    offered_ids = set(
        Assignment.objects.filter(
            engineer=user, status=AssignmentStatus.OFFERED, ticket__status=TicketStatus.DISPATCHING
        ).values_list("ticket_id", flat=True)
    )
    held = Ticket.objects.filter(
        assigned_engineer=user,
        status__in=[TicketStatus.ENGINEER_ACCEPTED, TicketStatus.ON_SITE],
    ).values_list("pk", flat=True)
    ids = sorted(offered_ids | set(held))
    for ticket in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("id"):
        Assignment.objects.filter(
            ticket=ticket,
            engineer=user,
            status__in=[AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED],
        ).update(status=AssignmentStatus.SUPERSEDED, decided_at=at)
        data = {"account_frozen": user.pk, "engineer_id": None, "method": "account_frozen"}
        if ticket.status == TicketStatus.ON_SITE:
            before = ticket.status
            ticket.status = TicketStatus.DISPATCHING
            ticket.assigned_engineer = None
            ticket.version += 1
            ticket.save(update_fields=["status", "assigned_engineer", "version", "updated_at"])
            TicketEvent.objects.create(
                ticket=ticket,
                from_status=before,
                to_status=ticket.status,
                at=at,
                actor=by,
                kind="account_frozen",
                note=FROZEN_NOTE,
                data=data,
            )
            audit.record(
                action="workorder.dispatching",
                obj=ticket,
                organization=ticket.organization_id,
                actor=by,
                changes={"status": [before, ticket.status], "note": [None, FROZEN_NOTE]},
            )
        elif ticket.status in (TicketStatus.ENGINEER_ACCEPTED, TicketStatus.DISPATCHING):
            move(ticket, TicketStatus.DISPATCHING, by=by, at=at, note=FROZEN_NOTE, data=data)
        else:  # pragma: no cover - filtered above
            continue
        returned.append(ticket.pk)
    return returned


def _approvals_module() -> Any:
    try:
        return importlib.import_module("anzu.risk.approvals.services")
    except ModuleNotFoundError as exc:
        if exc.name in {"anzu.risk.approvals", "anzu.risk.approvals.services"}:
            return None
        raise


def _reassign_approvals(user: User, *, by: User | None) -> Any:
    """Hand the user's pending approvals over; returns the approvals module's counts
    (``None``: the approvals module is not installed)."""
    module = _approvals_module()
    reassign = getattr(module, "approvals_reassign_from", None) if module else None
    if reassign is None:
        return None
    result = reassign(user, by=by)
    if isinstance(result, dict):
        return {str(k): val for k, val in result.items()}
    if isinstance(result, int):
        return result
    try:
        return len(result)
    except TypeError:
        return None


# Reactivation and passwords ---------------------------------------------------------------


def _issue_reset(state: AccountState, now: dt.datetime) -> str:
    raw = secrets.token_urlsafe(32)
    state.reset_token_hash = _hash(raw)
    state.reset_expires_at = now + dt.timedelta(hours=RESET_LINK_HOURS)
    return raw


def account_reactivate(
    *, user: User, by: User | None, reason: str, source: str = Source.MANUAL, external_id: str = ""
) -> tuple[AccountState, str]:
    """Make a frozen account active again with a forced password reset.

    The old password stops working (it is replaced by an unusable one); returns the state and
    the raw one-time reset token, to be handed to the person by the administrator.
    """
    source = _check_source(source)
    reason = v.text(reason, field="reason", max_length=300)
    _check_manual(user=user, by=by, source=source)
    now = clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        state = AccountState.objects.select_for_update().get(pk=state_of(locked).pk)
        if locked.is_active and state.status == AccountStatus.ACTIVE:
            raise Conflict("not_frozen", "This account is not frozen.", field="user")
        locked.is_active = True
        locked.set_unusable_password()
        locked.save(update_fields=["is_active", "password"])
        state.status = AccountStatus.ACTIVE
        state.password_reset_required = True
        raw = _issue_reset(state, now)
        state.save()
        for kind in (EventKind.REACTIVATED, EventKind.PASSWORD_RESET_REQUIRED):
            _event(
                user=locked,
                kind=kind,
                source=source,
                reason=reason,
                at=now,
                by=by,
                external_id=external_id,
            )
        audit.record(
            action="account.reactivate",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={
                "is_active": [False, True],
                "password": ["<redacted>", "<redacted>"],
                "password_reset_required": [False, True],
                "source": [None, source],
                "reason": [None, reason],
            },
        )
    user.is_active = True
    user.password = locked.password
    return state, raw


def account_reset_link_issue(*, user: User, by: User) -> tuple[AccountState, str]:
    """A fresh one-time reset link for an account that must set a new password."""
    _check_manual(user=user, by=by, source=Source.MANUAL)
    now = clock.now()
    with transaction.atomic():
        state = AccountState.objects.select_for_update().get(pk=state_of(user).pk)
        if not state.password_reset_required:
            raise Conflict(
                "no_reset_required", "This account does not need a password reset.", field="user"
            )
        raw = _issue_reset(state, now)
        state.save(update_fields=["reset_token_hash", "reset_expires_at", "updated_at"])
        audit.record(
            action="account.reset_link",
            obj=user,
            organization=user.organization_id,
            actor=by,
            changes={"reset_expires_at": [None, state.reset_expires_at]},
        )
    return state, raw


def user_for_reset_token(raw: str) -> User | None:
    """The active account a one-time reset token belongs to, if valid and not expired."""
    if not raw or len(raw) > 200:
        return None
    state = (
        AccountState.objects.select_related("user")
        .filter(reset_token_hash=_hash(raw), password_reset_required=True)
        .first()
    )
    if state is None or state.reset_expires_at is None or state.reset_expires_at <= clock.now():
        return None
    if not state.user.is_active:
        return None
    return state.user


def account_password_set(*, user: User, password: str, confirm: str) -> User:
    """The person sets their new password; the reset requirement and link are cleared."""
    if not isinstance(password, str) or not password:
        raise ValidationFailed("required", "Enter a password.", field="password")
    if password != confirm:
        raise ValidationFailed("mismatch", "The two passwords differ.", field="confirm")
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed("weak_password", " ".join(exc.messages), field="password") from None
    now = clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        state = AccountState.objects.select_for_update().get(pk=state_of(locked).pk)
        if not locked.is_active or not state.password_reset_required:
            raise Conflict(
                "no_reset_required", "This account does not need a password reset.", field=None
            )
        locked.set_password(password)
        locked.save(update_fields=["password"])
        state.password_reset_required = False
        state.reset_token_hash = ""
        state.reset_expires_at = None
        state.save()
        _event(
            user=locked,
            kind=EventKind.PASSWORD_SET,
            source=Source.MANUAL,
            reason="",
            at=now,
            by=locked,
        )
        audit.record(
            action="account.password_set",
            obj=locked,
            organization=locked.organization_id,
            actor=locked,
            changes={
                "password": ["<redacted>", "<redacted>"],
                "password_reset_required": [True, False],
            },
        )
    return locked


# Profile -----------------------------------------------------------------------------------


def account_profile_update(
    *, user: User, by: User, employee_id: Any, service_account: Any
) -> AccountState:
    """The HR employee id (for offboarding deliveries) and the service-account flag."""
    _check_manual(user=user, by=by, source=Source.MANUAL)
    employee = v.text(employee_id or "", field="employee_id", max_length=64, required=False)
    if not isinstance(service_account, bool):
        raise ValidationFailed("invalid", "Expected true or false.", field="service_account")
    with transaction.atomic():
        state = AccountState.objects.select_for_update().get(pk=state_of(user).pk)
        changes = audit.diff(
            {"employee_id": state.employee_id, "service_account": state.service_account},
            {"employee_id": employee, "service_account": service_account},
        )
        if not changes:
            return state
        state.employee_id = employee
        state.service_account = service_account
        try:
            with transaction.atomic():
                state.save()
        except IntegrityError:
            raise Conflict(
                "duplicate", "This employee id is used by another account.", field="employee_id"
            ) from None
        audit.record(
            action="account.profile",
            obj=user,
            organization=user.organization_id,
            actor=by,
            changes=changes,
        )
    return state


# SCIM tokens -------------------------------------------------------------------------------


def scim_token_create(*, by: User, name: str) -> tuple[ScimToken, str]:
    """A bearer token for the organization's identity provider; the raw value is shown once."""
    access.require(by, "accounts.manage")
    name = v.text(name, field="name", max_length=100)
    raw = SCIM_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ScimToken.objects.create(
            organization_id=access.org_id(by),
            name=name,
            prefix=raw[: len(SCIM_TOKEN_PREFIX) + 6],
            token_hash=_hash(raw),
            created_at=clock.now(),
            created_by=by,
        )
        audit.record(
            action="scim_token.create",
            obj=token,
            organization=token.organization_id,
            actor=by,
            changes={"name": [None, name]},
        )
    return token, raw


def scim_token_revoke(*, token: ScimToken, by: User) -> ScimToken:
    access.require(by, "accounts.manage")
    if token.organization_id != by.organization_id:
        raise NotFound("token")
    with transaction.atomic():
        locked = ScimToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = clock.now()
            locked.save(update_fields=["revoked_at"])
            audit.record(
                action="scim_token.revoke",
                obj=locked,
                organization=locked.organization_id,
                actor=by,
                changes={"revoked_at": [None, locked.revoked_at]},
            )
    return locked


def scim_token_authenticate(raw: str) -> ScimToken | None:
    if not raw.startswith(SCIM_TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = ScimToken.objects.filter(token_hash=_hash(raw), revoked_at__isnull=True).first()
    if token is None:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
