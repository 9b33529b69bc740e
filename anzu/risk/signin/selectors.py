"""Reads of the login-risk decisions: the admin list, risky logins of one user (for the
shadow-lease report) and interceptions per day and kind (for the security dashboard)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from anzu.common.errors import ValidationFailed
from anzu.core import access
from anzu.core.models import Organization, User
from anzu.risk.signin.choices import AttemptKind, Decision, Outcome
from anzu.risk.signin.models import LoginAttempt

INTERCEPTION_KINDS = ("step_up", "deny", "throttled", "sensitive_velocity")


def decisions_for_user(
    user: Any,
    *,
    decision: str = "",
    username: str = "",
    kind: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[LoginAttempt]:
    """Decisions of the caller's organization, newest first (needs ``signin.decisions``)."""
    access.require(user, "signin.decisions")
    if decision and decision not in Decision.values:
        raise ValidationFailed("invalid_choice", "Unknown decision.", field="decision")
    if kind and kind not in AttemptKind.values:
        raise ValidationFailed("invalid_choice", "Unknown kind.", field="kind")
    qs = LoginAttempt.objects.filter(organization_id=access.org_id(user)).select_related("user")
    if decision:
        qs = qs.filter(decision=decision)
    if username:
        qs = qs.filter(username__icontains=username.strip().lower())
    if kind:
        qs = qs.filter(kind=kind)
    tz = _tz(user.organization)
    if since:
        qs = qs.filter(at__gte=_midnight(since, tz))
    if until:
        qs = qs.filter(at__lt=_midnight(until + dt.timedelta(days=1), tz))
    return qs.order_by("-at", "-id")


def risky_logins(user: User, since: dt.datetime, until: dt.datetime) -> QuerySet[LoginAttempt]:
    """The step-up and deny decisions of ``user``'s logins with ``since <= at < until``,
    oldest first (whatever their outcome: a step-up that passed is still listed)."""
    return LoginAttempt.objects.filter(
        user=user,
        kind=AttemptKind.LOGIN,
        decision__in=(Decision.STEP_UP, Decision.DENY),
        at__gte=since,
        at__lt=until,
    ).order_by("at", "id")


def _tz(organization: Organization | None) -> ZoneInfo:
    from django.conf import settings

    name = organization.time_zone if organization is not None else ""
    return ZoneInfo(name or settings.TIME_ZONE)


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _bound(value: dt.date | dt.datetime, tz: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return _midnight(value, tz)


def decisions_by_kind(
    organization: Organization, start: dt.date | dt.datetime, end: dt.date | dt.datetime
) -> list[dict[str, Any]]:
    """Interceptions per day (in the organization's time zone) and kind: ``step_up``,
    ``deny`` (logins), ``throttled`` (attempts refused inside a delay window) and
    ``sensitive_velocity`` (operation velocity flags). ``start`` is inclusive, ``end``
    exclusive; dates mean local midnight. One grouped query.
    """
    tz = _tz(organization)
    rows = (
        LoginAttempt.objects.filter(
            organization=organization, at__gte=_bound(start, tz), at__lt=_bound(end, tz)
        )
        .filter(
            Q(kind=AttemptKind.OPERATION)
            | Q(outcome=Outcome.THROTTLED)
            | Q(kind=AttemptKind.LOGIN, decision__in=(Decision.STEP_UP, Decision.DENY))
        )
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values("day", "kind", "decision", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[dt.date, str], int] = {}
    for row in rows:
        if row["outcome"] == Outcome.THROTTLED:
            name = "throttled"
        elif row["kind"] == AttemptKind.OPERATION:
            name = "sensitive_velocity"
        else:
            name = str(row["decision"])
        key = (row["day"], name)
        counts[key] = counts.get(key, 0) + int(row["n"])
    return [
        {"day": day, "kind": name, "count": n}
        for (day, name), n in sorted(counts.items(), key=lambda item: (item[0][0], item[0][1]))
    ]
