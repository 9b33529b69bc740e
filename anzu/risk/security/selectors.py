"""Reads of the security overview: the shadow-lease report and the dashboard figures.

Both are selector-only: they read what the approvals, account-lifecycle and login-risk modules
and the audit log already store, and write nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from anzu.common import clock
from anzu.common.errors import ValidationFailed
from anzu.core import access
from anzu.core.choices import UserKind
from anzu.core.models import Organization, User
from anzu.leasing.models import Lease
from anzu.risk import keys, note
from anzu.risk import selectors as audit_selectors
from anzu.risk.approvals.choices import RequestStatus
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.identity import selectors as identity_selectors
from anzu.risk.identity.choices import AccountStatus, Source
from anzu.risk.signin import selectors as signin_selectors
from anzu.risk.signin.choices import Outcome
from anzu.risk.signin.models import LoginAttempt

# Report reasons, in the order rows list them.
NO_APPROVAL = "no_approval"
OFF_HOURS = "off_hours"
FROZEN_ACCOUNT = "frozen_account"
RISKY_LOGIN = "risky_login"
REASONS: dict[str, str | Promise] = {
    NO_APPROVAL: _("Outside approval"),
    OFF_HOURS: _("Outside working hours"),
    FROZEN_ACCOUNT: _("Account frozen"),
    RISKY_LOGIN: _("After a risky login"),
}

# Dashboard interception kinds, in the order the chart stacks them.
KINDS: dict[str, str | Promise] = {
    "deny": _("Logins denied"),
    "step_up": _("Logins stepped up"),
    "throttled": _("Attempts delayed"),
    "sensitive_velocity": _("Sensitive operations too fast"),
    "frozen_attempt": _("Frozen-account attempts"),
    "approval_held": _("Guarded actions held for approval"),
    "approval_rejected": _("Approvals rejected"),
    "approval_stale": _("Stale approvals refused"),
}
COLORS = {
    "deny": "#c0392b",
    "step_up": "#e67e22",
    "throttled": "#f1c40f",
    "sensitive_velocity": "#8e44ad",
    "frozen_attempt": "#2c3e50",
    "approval_held": "#2980b9",
    "approval_rejected": "#16a085",
    "approval_stale": "#7f8c8d",
}

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
DEFAULT_RISK_HOURS = 24
VERIFY_CACHE_KEY = "security:last_verification"


@dataclass(frozen=True)
class WorkingHours:
    """Working time in the organization's time zone: ``start`` ≤ hour < ``end`` on ``days``
    (Monday = 1 … Sunday = 7). Default 08:00–20:00, Monday to Saturday."""

    start: int = 8
    end: int = 20
    days: frozenset[int] = field(default_factory=lambda: frozenset({1, 2, 3, 4, 5, 6}))

    def contains(self, local: dt.datetime) -> bool:
        return local.isoweekday() in self.days and self.start <= local.hour < self.end

    @property
    def days_text(self) -> str:
        return "".join(str(d) for d in sorted(self.days))


def parse_working_hours(start: Any, end: Any, days: Any) -> WorkingHours:
    """Hours from the report's filters; bad values are named by field."""
    default = WorkingHours()
    start_hour = _hour(start, "work_start", default.start, upper=23)
    end_hour = _hour(end, "work_end", default.end, upper=24)
    if end_hour <= start_hour:
        raise ValidationFailed(
            "invalid", "The end of the working day must be after its start.", field="work_end"
        )
    text = str(days if days is not None else "").strip()
    if not text:
        return WorkingHours(start_hour, end_hour)
    if not text.isdigit() or any(c not in "1234567" for c in text):
        raise ValidationFailed(
            "invalid", "Working days are digits 1 (Monday) to 7 (Sunday).", field="work_days"
        )
    return WorkingHours(start_hour, end_hour, frozenset(int(c) for c in text))


def _hour(value: Any, name: str, default: int, *, upper: int) -> int:
    if value in (None, ""):
        return default
    try:
        hour = int(str(value).strip())
    except ValueError:
        raise ValidationFailed("invalid", "Enter an hour from 0 to 24.", field=name) from None
    if not 0 <= hour <= upper:
        raise ValidationFailed("invalid", "Enter an hour from 0 to 24.", field=name)
    return hour


def tz_of(organization: Organization | None) -> ZoneInfo:
    name = organization.time_zone if organization is not None else ""
    return ZoneInfo(name or settings.TIME_ZONE)


def period(
    since: dt.date | None, until: dt.date | None, organization: Organization | None
) -> tuple[dt.date, dt.date]:
    """The inclusive local dates of a report period (default: the last 30 days)."""
    until = until or clock.today(organization.time_zone if organization else None)
    since = since or until - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if since > until:
        raise ValidationFailed("invalid", "The start is after the end.", field="since")
    if (until - since).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed("invalid", "Choose a period of at most 366 days.", field="since")
    return since, until


def _bounds(since: dt.date, until: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(since, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


# Shadow-lease report ------------------------------------------------------------------------


@dataclass
class ShadowLease:
    lease_id: int
    code: str
    unit: str
    status: str
    created_at: dt.datetime
    created_by: str
    activated_at: dt.datetime | None
    reasons: list[dict[str, Any]]
    activated_by: str = ""

    @property
    def reason_codes(self) -> list[str]:
        return [r["code"] for r in self.reasons]


@dataclass(frozen=True)
class _Step:
    """One recorded act on a lease: its creation or its activation, by whom and when."""

    name: str
    user: User | None
    at: dt.datetime


def _steps(lease: Lease) -> list[_Step]:
    steps = [_Step("create", lease.created_by, lease.created_at)]
    if lease.activated_at is not None:
        steps.append(_Step("activate", lease.activated_by, lease.activated_at))
    return steps


def shadow_leases(
    user: Any,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    reason: str = "",
    hours: WorkingHours | None = None,
    risk_hours: int = DEFAULT_RISK_HOURS,
) -> list[ShadowLease]:
    """Leases created or activated in the period that match at least one reason, newest first.

    Each lease has up to two steps: its creation (``created_by``, ``created_at``) and its
    activation (``activated_by``, ``activated_at``). Reasons: ``no_approval`` (a step has no
    executed approval request; an activation's must be the activator's own request),
    ``off_hours`` (a step outside ``hours``, organization time zone), ``frozen_account`` (the
    account behind a step was frozen, before or after) and ``risky_login`` (a step-up or deny
    login decision for that account within ``risk_hours`` before the step).
    Needs ``audit.view``; limited to the caller's organization and scope.
    """
    access.require(user, "audit.view")
    if reason and reason not in REASONS:
        raise ValidationFailed("invalid_choice", "Unknown reason.", field="reason")
    if not 1 <= risk_hours <= 24 * 30:
        raise ValidationFailed(
            "invalid", "Enter a number of hours from 1 to 720.", field="risk_hours"
        )
    hours = hours or WorkingHours()
    organization = user.organization
    tz = tz_of(organization)
    first, last = period(since, until, organization)
    start, end = _bounds(first, last, tz)
    org_id = access.org_id(user)
    leases = list(
        Lease.objects.filter(organization_id=org_id)
        .filter(access.scope_of(user).q(project="project_id", building="building_id"))
        .filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(activated_at__gte=start, activated_at__lt=end)
        )
        .select_related("unit", "created_by", "activated_by")
        .order_by("-created_at", "-id")
    )
    if not leases:
        return []
    ids = [lease.pk for lease in leases]
    approved_creation = _ids(
        ApprovalRequest.objects.filter(
            organization_id=org_id,
            action="lease.create",
            status=RequestStatus.EXECUTED,
            result__object_id__in=ids,
        ).values_list("result__object_id", flat=True)
    )
    activation_makers: dict[int, set[int]] = {}
    for lease_id, maker_id in ApprovalRequest.objects.filter(
        organization_id=org_id,
        action="lease.activate",
        status=RequestStatus.EXECUTED,
        args__lease_id__in=ids,
    ).values_list("args__lease_id", "maker_id"):
        found = _ids([lease_id])
        if found:
            activation_makers.setdefault(found.pop(), set()).add(maker_id)
    steps = {lease.pk: _steps(lease) for lease in leases}
    user_ids = sorted(
        {step.user.pk for lease_steps in steps.values() for step in lease_steps if step.user}
    )
    freezes = identity_selectors.first_freezes(user_ids)
    risky = _risky_logins(steps, risk_hours, tz)
    sources = dict(Source.choices)
    rows: list[ShadowLease] = []
    for lease in leases:
        reasons: list[dict[str, Any]] = []
        missing = []
        if lease.pk not in approved_creation:
            missing.append("create")
        if lease.activated_at is not None:
            makers = activation_makers.get(lease.pk, set())
            if not makers or (
                lease.activated_by_id is not None and lease.activated_by_id not in makers
            ):
                missing.append("activate")
        if missing:
            reasons.append({"code": NO_APPROVAL, "detail": {"steps": missing}})
        off = []
        for step in steps[lease.pk]:
            if not hours.contains(step.at.astimezone(tz)):
                off.append({"step": step.name, "at": step.at.astimezone(tz).isoformat()})
        if off:
            reasons.append({"code": OFF_HOURS, "detail": {"times": off}})
        accounts = []
        for step in steps[lease.pk]:
            if step.user is None or step.user.pk not in freezes:
                continue
            frozen_at, source = freezes[step.user.pk]
            accounts.append(
                {
                    "step": step.name,
                    "username": step.user.username,
                    "frozen_at": frozen_at.astimezone(tz).isoformat(),
                    "source": source,
                    "source_label": str(sources.get(source, "")),
                    "while_frozen": step.at >= frozen_at,
                }
            )
        if accounts:
            reasons.append({"code": FROZEN_ACCOUNT, "detail": {"accounts": accounts}})
        decisions = risky.get(lease.pk)
        if decisions:
            reasons.append({"code": RISKY_LOGIN, "detail": {"decisions": decisions}})
        if not reasons or (reason and reason not in {r["code"] for r in reasons}):
            continue
        creator, activator = lease.created_by, lease.activated_by
        rows.append(
            ShadowLease(
                lease_id=lease.pk,
                code=lease.code,
                unit=str(lease.unit),
                status=lease.status,
                created_at=lease.created_at,
                created_by=creator.username if creator is not None else "",
                activated_at=lease.activated_at,
                activated_by=activator.username if activator is not None else "",
                reasons=reasons,
            )
        )
    return rows


def _ids(values: Any) -> set[int]:
    out: set[int] = set()
    for value in values:
        try:
            out.add(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _risky_logins(
    steps: dict[int, list[_Step]], risk_hours: int, tz: ZoneInfo
) -> dict[int, list[dict[str, Any]]]:
    """Per lease, the step-up/deny login decisions of the account behind each step within
    ``risk_hours`` before that step. One query per distinct account (the login-risk selector),
    not per lease."""
    window = dt.timedelta(hours=risk_hours)
    by_user: dict[int, list[tuple[int, _Step]]] = {}
    for lease_id, lease_steps in steps.items():
        for step in lease_steps:
            if step.user is not None:
                by_user.setdefault(step.user.pk, []).append((lease_id, step))
    found: dict[int, list[dict[str, Any]]] = {}
    for user_steps in by_user.values():
        account = user_steps[0][1].user
        assert account is not None
        earliest = min(step.at for _id, step in user_steps) - window
        latest = max(step.at for _id, step in user_steps) + dt.timedelta(seconds=1)
        attempts = list(signin_selectors.risky_logins(account, earliest, latest))
        for lease_id, step in user_steps:
            hits = [
                {
                    "step": step.name,
                    "username": account.username,
                    "at": a.at.astimezone(tz).isoformat(),
                    "decision": a.decision,
                    "score": a.score,
                    "signals": a.signal_names,
                    "ip": a.ip,
                }
                for a in attempts
                if step.at - window <= a.at <= step.at
            ]
            if hits:
                found.setdefault(lease_id, []).extend(hits)
    for hits in found.values():
        hits.sort(key=lambda hit: (hit["step"] != "create", hit["at"]))
    return found


# Dashboard ----------------------------------------------------------------------------------


def interceptions(
    organization: Organization, first: dt.date, last: dt.date
) -> dict[tuple[dt.date, str], int]:
    """Counts per local day and kind (see :data:`KINDS`), from the three modules' records."""
    tz = tz_of(organization)
    start, end = _bounds(first, last, tz)
    counts: dict[tuple[dt.date, str], int] = {}

    def add(day: dt.date, kind: str, n: int) -> None:
        counts[(day, kind)] = counts.get((day, kind), 0) + n

    for row in signin_selectors.decisions_by_kind(organization, start, end):
        add(row["day"], row["kind"], row["count"])
    frozen = (
        LoginAttempt.objects.filter(
            organization=organization,
            at__gte=start,
            at__lt=end,
            user__is_active=False,
            user__account_state__status=AccountStatus.FROZEN,
            user__account_state__frozen_at__lte=F("at"),
            outcome__in=(Outcome.BAD_PASSWORD, Outcome.THROTTLED),
        )
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for frozen_row in frozen:
        add(frozen_row["day"], "frozen_attempt", frozen_row["n"])
    requests = ApprovalRequest.objects.filter(organization=organization)
    held = (
        requests.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for held_row in held:
        add(held_row["day"], "approval_held", held_row["n"])
    decided = (
        requests.filter(
            status__in=(RequestStatus.REJECTED, RequestStatus.STALE),
            decided_at__gte=start,
            decided_at__lt=end,
        )
        .annotate(day=TruncDate("decided_at", tzinfo=tz))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for decided_row in decided:
        rejected = decided_row["status"] == RequestStatus.REJECTED
        add(
            decided_row["day"],
            "approval_rejected" if rejected else "approval_stale",
            decided_row["n"],
        )
    return counts


def audit_status() -> dict[str, Any]:
    """The log's size, the latest checkpoint (checked against the verifier key) and the result
    of the latest full verification run from the dashboard."""
    status = audit_selectors.log_status()
    vkey = keys.vkey()
    latest = status["checkpoint"]
    checkpoint: dict[str, Any] | None = None
    if latest is not None:
        try:
            opened = note.open_checkpoint(latest.note, note.parse_verifier_key(vkey))
            signature_ok = opened.size == latest.size and opened.root == bytes(latest.root)
        except note.NoteError:
            signature_ok = False
        checkpoint = {
            "size": latest.size,
            "root": bytes(latest.root).hex(),
            "created_at": latest.created_at,
            "signature_ok": signature_ok,
            "note": latest.note,
        }
    return {
        "size": status["size"],
        "root": status["root"],
        "pending": status["pending"],
        "checkpoint": checkpoint,
        "vkey": vkey,
        "last_verification": cache.get(VERIFY_CACHE_KEY),
    }


def dashboard(user: Any, *, since: dt.date | None = None, until: dt.date | None = None) -> dict:
    """Everything the security dashboard shows (needs ``audit.view``)."""
    access.require(user, "audit.view")
    organization = user.organization
    first, last = period(since, until, organization)
    counts = interceptions(organization, first, last)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    series = [
        {
            "kind": kind,
            "label": str(label),
            "color": COLORS[kind],
            "total": sum(counts.get((day, kind), 0) for day in days),
            "counts": [counts.get((day, kind), 0) for day in days],
        }
        for kind, label in KINDS.items()
    ]
    org_id = access.org_id(user)
    return {
        "since": first,
        "until": last,
        "days": days,
        "series": series,
        "total": sum(s["total"] for s in series),
        "pending_approvals": ApprovalRequest.objects.filter(
            organization_id=org_id, status=RequestStatus.PENDING
        ).count(),
        "frozen_accounts": User.objects.filter(
            organization_id=org_id,
            kind=UserKind.STAFF,
            is_active=False,
            account_state__status=AccountStatus.FROZEN,
        ).count(),
        "audit": audit_status(),
    }


def chart(data: dict[str, Any], *, width: int = 720, height: int = 180) -> dict[str, Any]:
    """Stacked bars (one per day) as SVG rectangles, drawn by the template."""
    days = data["days"]
    totals = [sum(s["counts"][i] for s in data["series"]) for i in range(len(days))]
    peak = max(totals, default=0) or 1
    slot = width / max(len(days), 1)
    bar = max(slot * 0.8, 1.0)
    bars = []
    for i, day in enumerate(days):
        y = float(height)
        parts = []
        for s in data["series"]:
            n = s["counts"][i]
            if not n:
                continue
            h = n / peak * (height - 10)
            y -= h
            parts.append(
                {
                    "y": round(y, 1),
                    "h": round(h, 1),
                    "color": s["color"],
                    "n": n,
                    "label": s["label"],
                }
            )
        bars.append({"x": round(i * slot, 1), "w": round(bar, 1), "day": day, "parts": parts})
    return {"width": width, "height": height, "peak": peak, "bars": bars}
