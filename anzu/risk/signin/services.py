"""Login risk: progressive delays, the login assessment, step-up with TOTP, device enrolment,
and the velocity of sensitive operations. Writes are audited (step-ups, denials, enrolments,
velocity flags); plain wrong passwords are recorded as rows only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.models import TOTPDevice

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import DomainError, NotFound, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import AuditEvent, User
from anzu.risk.signin import engine, ipdb
from anzu.risk.signin.choices import SUCCESS_OUTCOMES, AttemptKind, Decision, Outcome
from anzu.risk.signin.config import SigninConfig, load_signin_config
from anzu.risk.signin.models import KnownDevice, KnownNetwork, LoginAttempt

logger = logging.getLogger(__name__)

DEVICE_COOKIE = "anzu_device"
DEVICE_SALT = "anzu.risk.signin.device"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600
HISTORY_LOGINS = 200
SENSITIVE_LOOKBACK = dt.timedelta(hours=24)
MAX_TOTP_FAILURES = 5
# A password check of one user name holds its slot at most this long (a crashed request).
INFLIGHT_SECONDS = 10

# Sensitive operations: a kind and the audit actions that count for it. A kind not listed here
# counts the audit action of the same name.
SENSITIVE_KINDS: dict[str, tuple[str, ...]] = {
    "lease.create": ("lease.create",),
    "lease.void": ("lease.void",),
    "refund": ("deposit.refund", "credit.refund"),
    "export": ("settlement.credit_export",),
    "role_grant": ("user.roles",),
}


class TooManyAttempts(DomainError):
    """An attempt inside the wait window left by recent failures."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "too_many_attempts",
            f"Too many failed attempts; try again in {retry_after} seconds.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


def config() -> SigninConfig:
    configured = getattr(settings, "SIGNIN", None)
    return configured if isinstance(configured, SigninConfig) else load_signin_config()


def normalize_username(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


# Device cookie ------------------------------------------------------------------------------


def device_id_from(request: HttpRequest) -> str | None:
    """The device id of the signed cookie, or None when absent or tampered with."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    if not value or len(value) > 64 or not value.isalnum():
        return None
    return str(value)


def new_device_id() -> str:
    return secrets.token_hex(16)


def set_device_cookie(request: HttpRequest, response: HttpResponse, device_id: str) -> None:
    response.set_signed_cookie(
        DEVICE_COOKIE,
        device_id,
        salt=DEVICE_SALT,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


# Progressive delays -------------------------------------------------------------------------


@dataclass(frozen=True)
class FailureCount:
    count: int
    last: dt.datetime | None


def _failures(q: Q, since: dt.datetime) -> FailureCount:
    row = LoginAttempt.objects.filter(
        q, outcome__in=(Outcome.BAD_PASSWORD, Outcome.BAD_TOKEN), at__gte=since
    ).aggregate(n=Count("id"), last=Max("at"))
    return FailureCount(int(row["n"] or 0), row["last"])


def _remaining(failures: FailureCount, free: int, cap: int, now: dt.datetime) -> int:
    wait = engine.delay_seconds(failures.count, free, cap)
    if wait <= 0 or failures.last is None:
        return 0
    left = (failures.last + dt.timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(left))


def _user_named(username: str) -> User | None:
    if not username:
        return None
    return User.objects.filter(username__iexact=username).order_by("id").first()


def retry_after(*, username: str, ip: str | None, device_id: str | None) -> int:
    """Seconds the caller must still wait before a password attempt counts (0: go ahead).

    Failures for a user name delay that name, except on a device the user has logged in
    from before: a victim on their own device is never locked out by someone else's
    guessing. Failures from an IP delay that IP whatever the name.
    """
    cfg, now = config(), clock.now()
    since = now - dt.timedelta(minutes=cfg.failure_window_minutes)
    name = normalize_username(username)
    wait = 0
    if ip:
        wait = _remaining(_failures(Q(ip=ip), since), cfg.free_failures_ip, cfg.max_delay, now)
    if name:
        user = _user_named(name)
        known = bool(
            user is not None
            and device_id
            and KnownDevice.objects.filter(user=user, device_id=device_id).exists()
        )
        if not known:
            wait = max(
                wait,
                _remaining(
                    _failures(Q(username=name), since),
                    cfg.free_failures_user,
                    cfg.max_delay,
                    now,
                ),
            )
    return wait


def claim_attempt(username: str) -> str | None:
    """Claim the right to check one password for ``username`` (None while another check of
    the same name is running). Release with :func:`release_attempt`."""
    digest = hashlib.sha256(normalize_username(username).encode("utf-8")).hexdigest()[:40]
    key = f"signin:inflight:{digest}"
    return key if cache.add(key, 1, timeout=INFLIGHT_SECONDS) else None


def release_attempt(key: str) -> None:
    cache.delete(key)


def _attempt(**fields: Any) -> LoginAttempt:
    fields.setdefault("at", clock.now())
    return LoginAttempt.objects.create(**fields)


def record_throttled(
    *, username: str, ip: str | None, device_id: str, user_agent: str, wait: int
) -> LoginAttempt:
    user = _user_named(normalize_username(username))
    return _attempt(
        user=user,
        organization_id=user.organization_id if user else None,
        username=normalize_username(username),
        ip=ip,
        device_id=device_id,
        user_agent=user_agent[:300],
        signals=[{"name": "delay", "weight": 0, "detail": {"retry_after": wait}}],
        outcome=Outcome.THROTTLED,
    )


def record_bad_password(
    *, username: str, ip: str | None, device_id: str, user_agent: str
) -> LoginAttempt:
    user = _user_named(normalize_username(username))
    with transaction.atomic():
        attempt = _attempt(
            user=user,
            organization_id=user.organization_id if user else None,
            username=normalize_username(username),
            ip=ip,
            device_id=device_id,
            user_agent=user_agent[:300],
            outcome=Outcome.BAD_PASSWORD,
        )
        if user is not None and not user.is_active:
            # A frozen account's credentials in use: evidence for the audit, not just a failure.
            audit.record(
                action="signin.frozen_account",
                obj=attempt,
                organization=user.organization_id,
                actor=user,
                changes={"ip": [None, ip], "device": [None, device_id]},
            )
    return attempt


def record_bad_token(*, ip: str | None, user_agent: str) -> LoginAttempt:
    return _attempt(
        kind=AttemptKind.TOKEN, ip=ip, user_agent=user_agent[:300], outcome=Outcome.BAD_TOKEN
    )


def check_token_ip(ip: str | None) -> None:
    """Raise :class:`TooManyAttempts` while an IP waits out its failures (API tokens)."""
    if not ip:
        return
    cfg, now = config(), clock.now()
    since = now - dt.timedelta(minutes=cfg.failure_window_minutes)
    wait = _remaining(_failures(Q(ip=ip), since), cfg.free_failures_ip, cfg.max_delay, now)
    if wait > 0:
        raise TooManyAttempts(wait)


# Assessment ---------------------------------------------------------------------------------


def _time_zone(user: User) -> str:
    org = user.organization
    return org.time_zone if org is not None and org.time_zone else settings.TIME_ZONE


def history_of(user: User, *, ip: str | None, at: dt.datetime) -> engine.History:
    """Gather what the engine needs about ``user`` (a handful of queries)."""
    cfg = config()
    since = at - dt.timedelta(minutes=cfg.failure_window_minutes)
    successes = list(
        LoginAttempt.objects.filter(user=user, kind=AttemptKind.LOGIN, outcome__in=SUCCESS_OUTCOMES)
        .order_by("-at", "-id")
        .values("at", "region", "latitude", "longitude")[:HISTORY_LOGINS]
    )
    tz = _time_zone(user)
    previous = None
    if successes:
        first = successes[0]
        previous = engine.PreviousLogin(
            first["at"], first["region"], first["latitude"], first["longitude"]
        )
    flags = LoginAttempt.objects.filter(
        user=user, kind=AttemptKind.OPERATION, at__gte=at - SENSITIVE_LOOKBACK
    ).count()
    return engine.History(
        known_devices=frozenset(
            KnownDevice.objects.filter(user=user).values_list("device_id", flat=True)
        ),
        known_networks=frozenset(
            KnownNetwork.objects.filter(user=user).values_list("network", flat=True)
        ),
        known_regions=frozenset(s["region"] for s in successes if s["region"]),
        previous=previous,
        login_hours=tuple(engine.local_hour(s["at"], tz) for s in successes),
        user_failures=_failures(Q(username=normalize_username(user.username)), since).count,
        ip_failures=_failures(Q(ip=ip), since).count if ip else 0,
        sensitive_flags=flags,
    )


def locate(ip: str | None) -> ipdb.Location | None:
    path = config().ipdb_path
    if not path or not ip:
        return None
    try:
        return ipdb.open_reader(path).lookup(ip)
    except (ipdb.IpDatabaseError, OSError, ValueError) as exc:
        logger.warning("IP database %s unreadable: %s", path, exc)
        return None


def _confirmed_devices(user: User) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id"))


def login_assess(
    *, user: User, ip: str | None, device_id: str, user_agent: str = ""
) -> LoginAttempt:
    """Assess a login whose password checked out; store the decision.

    The outcome tells the view what to do: ``logged_in`` (log in now), ``step_up_required``
    (ask for a TOTP code), ``enroll_required`` (enrol a TOTP device first, only when the policy
    allows it for low scores) or ``denied``. Step-ups and denials are audited. Staff accounts
    are judged; tenant portal logins are assessed and recorded but always allowed.
    """
    cfg, now = config(), clock.now()
    location = locate(ip)
    ctx = engine.LoginContext(
        at=now, ip=ip, device_id=device_id, location=location, time_zone=_time_zone(user)
    )
    result = engine.assess(ctx, history_of(user, ip=ip, at=now), cfg)
    decision = result.decision if access.is_staff_user(user) else Decision.ALLOW
    if decision == Decision.ALLOW:
        outcome = Outcome.LOGGED_IN
    elif decision == Decision.DENY:
        outcome = Outcome.DENIED
    elif _confirmed_devices(user):
        outcome = Outcome.STEP_UP_REQUIRED
    elif result.score < cfg.enroll_below:
        outcome = Outcome.ENROLL_REQUIRED
    else:
        outcome = Outcome.DENIED
    with transaction.atomic():
        attempt = _attempt(
            user=user,
            organization_id=user.organization_id,
            username=normalize_username(user.username),
            ip=ip,
            device_id=device_id,
            user_agent=user_agent[:300],
            region=location.region[:100] if location else "",
            latitude=location.latitude if location else None,
            longitude=location.longitude if location else None,
            signals=result.signals_json(),
            score=result.score,
            decision=decision,
            outcome=outcome,
            at=now,
        )
        if decision != Decision.ALLOW:
            audit.record(
                action="signin.deny" if decision == Decision.DENY else "signin.step_up",
                obj=attempt,
                organization=user.organization_id,
                actor=user,
                changes={
                    "decision": [None, decision],
                    "outcome": [None, outcome],
                    "score": [None, result.score],
                    "signals": [None, result.names],
                },
            )
        if outcome == Outcome.LOGGED_IN:
            learn(user=user, attempt=attempt)
    return attempt


def learn(*, user: User, attempt: LoginAttempt) -> None:
    """Remember the device and the network of a successful login."""
    now = attempt.at
    with transaction.atomic():
        if attempt.device_id:
            KnownDevice.objects.bulk_create(
                [
                    KnownDevice(
                        user=user,
                        device_id=attempt.device_id,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                ],
                ignore_conflicts=True,
            )
            KnownDevice.objects.filter(user=user, device_id=attempt.device_id).update(
                last_seen_at=now, last_ip=attempt.ip, user_agent=attempt.user_agent[:300]
            )
        network = engine.network_of(attempt.ip)
        if network:
            KnownNetwork.objects.bulk_create(
                [KnownNetwork(user=user, network=network, first_seen_at=now, last_seen_at=now)],
                ignore_conflicts=True,
            )
            KnownNetwork.objects.filter(user=user, network=network).update(
                last_seen_at=now, logins=F("logins") + 1
            )


def pending_attempt(attempt_id: int, user_id: int) -> LoginAttempt:
    """A login still waiting for its TOTP code or enrolment (not older than 10 minutes)."""
    attempt = (
        LoginAttempt.objects.select_related("user")
        .filter(
            pk=attempt_id,
            user_id=user_id,
            outcome__in=(Outcome.STEP_UP_REQUIRED, Outcome.ENROLL_REQUIRED),
            at__gte=clock.now() - dt.timedelta(minutes=10),
        )
        .first()
    )
    if attempt is None:
        raise NotFound("pending login")
    return attempt


def _verify_any(user: User, token: str) -> TOTPDevice | None:
    token = (token or "").strip().replace(" ", "")
    if not token.isdigit() or not 6 <= len(token) <= 8:
        return None
    for device in _confirmed_devices(user):
        if device.verify_token(token):
            return device
    return None


def _set_outcome(attempt: LoginAttempt, outcome: str, action: str, failures: int = 0) -> None:
    with transaction.atomic():
        LoginAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome)
        attempt.outcome = outcome
        changes: dict[str, Any] = {"outcome": [None, outcome]}
        if failures:
            changes["failures"] = [None, failures]
        audit.record(
            action=action,
            obj=attempt,
            organization=attempt.organization_id,
            actor=attempt.user,
            changes=changes,
        )


def step_up_verify(*, attempt: LoginAttempt, token: str, failures: int) -> TOTPDevice | None:
    """Check a TOTP code for a pending step-up. Returns the device on success (the view then
    authenticates the session); after too many wrong codes the login is refused for good."""
    user = attempt.user
    if user is None or attempt.outcome != Outcome.STEP_UP_REQUIRED:
        raise NotFound("pending login")
    device = _verify_any(user, token)
    if device is not None:
        _set_outcome(attempt, Outcome.STEP_UP_PASSED, "signin.step_up_passed")
        learn(user=user, attempt=attempt)
        return device
    if failures + 1 >= MAX_TOTP_FAILURES:
        _set_outcome(attempt, Outcome.STEP_UP_FAILED, "signin.step_up_failed", failures + 1)
    return None


def step_up_enrolled(*, attempt: LoginAttempt) -> None:
    """A login that enrolled its first TOTP device (policy for low scores) is complete."""
    user = attempt.user
    if user is None or attempt.outcome != Outcome.ENROLL_REQUIRED:
        raise NotFound("pending login")
    _set_outcome(attempt, Outcome.STEP_UP_PASSED, "signin.step_up_passed")
    learn(user=user, attempt=attempt)


# TOTP devices -------------------------------------------------------------------------------


def totp_enroll_start(*, by: User, name: str) -> TOTPDevice:
    """A new, unconfirmed TOTP device; earlier unconfirmed ones of the user are dropped."""
    name = v.text(name, field="name", max_length=64)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=by, confirmed=False).delete()
        return TOTPDevice.objects.create(user=by, name=name, confirmed=False)


def totp_enroll_confirm(*, device: TOTPDevice, token: str, by: User) -> TOTPDevice:
    """Confirm an enrolment with a code from the authenticator app."""
    if device.user_id != by.pk or device.confirmed:
        raise NotFound("device")
    code = (token or "").strip().replace(" ", "")
    if not code.isdigit() or not device.verify_token(code):
        raise ValidationFailed("invalid_token", "The code is wrong or has expired.", field="token")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(
            action="signin.totp_enroll",
            object_type="otp_totp.totpdevice",
            object_id=device.pk,
            organization=by.organization_id,
            actor=by,
            changes={"name": [None, device.name]},
        )
    return device


def totp_device_remove(*, device_id: int, token: str, by: User) -> None:
    """Remove one of the caller's devices; needs a fresh code from one of their devices."""
    device = TOTPDevice.objects.filter(pk=device_id, user=by).first()
    if device is None:
        raise NotFound("device")
    if device.confirmed and _verify_any(by, token) is None:
        raise ValidationFailed(
            "invalid_token", "A current code from your authenticator is required.", field="token"
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).delete()
        audit.record(
            action="signin.totp_remove",
            object_type="otp_totp.totpdevice",
            object_id=device_id,
            organization=by.organization_id,
            actor=by,
            changes={"name": [device.name, None]},
        )


# Sensitive operations -----------------------------------------------------------------------


def _actions_of(kind: str) -> tuple[str, ...]:
    return SENSITIVE_KINDS.get(kind, (kind,))


def sensitive_operation(user: User, kind: str) -> LoginAttempt | None:
    """Check the velocity of one kind of sensitive operation by ``user``.

    Counts the user's audit events of the kind inside the window (call it after the operation's
    ``audit.record``). Over the limit, a ``step_up`` decision is stored (``deny`` over twice the
    limit) and audited, once per user, kind and window; it returns that decision. Within the
    limit it returns None. A flag raises the user's login scores for 24 hours.
    """
    return _flag_velocity(user, kind)[0]


def _flag_velocity(user: User, kind: str) -> tuple[LoginAttempt | None, bool]:
    cfg, now = config(), clock.now()
    window_start = now - dt.timedelta(minutes=cfg.sensitive_window_minutes)
    count = AuditEvent.objects.filter(
        actor_id=user.pk, action__in=_actions_of(kind), created_at__gte=window_start
    ).count()
    if count <= cfg.sensitive_limit:
        return None, False
    with transaction.atomic():
        # One flag per user, kind and window, also under concurrent callers.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        existing = (
            LoginAttempt.objects.filter(
                user=user,
                kind=AttemptKind.OPERATION,
                at__gte=window_start,
                signals__0__detail__kind=kind,
            )
            .order_by("-at", "-id")
            .first()
        )
        if existing is not None:
            return existing, False
        decision = Decision.DENY if count > 2 * cfg.sensitive_limit else Decision.STEP_UP
        signal = engine.Signal(
            "sensitive_velocity",
            engine.WEIGHTS["sensitive_velocity"],
            {
                "kind": kind,
                "count": count,
                "limit": cfg.sensitive_limit,
                "window_minutes": cfg.sensitive_window_minutes,
            },
        )
        attempt = _attempt(
            user=user,
            organization_id=user.organization_id,
            username=normalize_username(user.username),
            kind=AttemptKind.OPERATION,
            signals=[signal.as_dict()],
            score=signal.weight,
            decision=decision,
            outcome=Outcome.FLAGGED,
            at=now,
        )
        audit.record(
            action="signin.operation_velocity",
            obj=attempt,
            organization=user.organization_id,
            actor=user,
            changes={"kind": [None, kind], "count": [None, count], "decision": [None, decision]},
        )
    return attempt, True


def scan_sensitive_operations() -> int:
    """Check every user who did a sensitive operation inside the window (the periodic hook
    over the audit log). Set-based: one grouped query; returns the number of new flags."""
    cfg, now = config(), clock.now()
    window_start = now - dt.timedelta(minutes=cfg.sensitive_window_minutes)
    kind_of = {action: kind for kind, actions in SENSITIVE_KINDS.items() for action in actions}
    rows = (
        AuditEvent.objects.filter(
            action__in=list(kind_of), created_at__gte=window_start, actor_id__isnull=False
        )
        .values("actor_id", "action")
        .annotate(n=Count("id"))
    )
    totals: dict[tuple[int, str], int] = {}
    for row in rows:
        key = (row["actor_id"], kind_of[row["action"]])
        totals[key] = totals.get(key, 0) + row["n"]
    over = {key for key, n in totals.items() if n > cfg.sensitive_limit}
    if not over:
        return 0
    users = User.objects.in_bulk({user_id for user_id, _kind in over})
    flagged = 0
    for user_id, kind in sorted(over):
        user = users.get(user_id)
        if user is None:
            continue
        _attempt_row, created = _flag_velocity(user, kind)
        flagged += int(created)
    return flagged
