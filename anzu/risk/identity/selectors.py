"""Reads of the account lifecycle: account rows with their status, dormancy, frozen creators."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import (
    DateTimeField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest

from anzu.common import clock
from anzu.core.choices import UserKind
from anzu.core.models import User
from anzu.risk.identity.choices import EventKind, Source
from anzu.risk.identity.models import AccountEvent, HrWebhookEvent

# An account shows as "dormant soon" this many days before the dormancy freeze.
DORMANT_WARNING_DAYS = 14


def with_last_activity(qs: QuerySet[User]) -> QuerySet[User]:
    """Annotate ``last_activity``: the latest web login or API token use, else the join date."""
    return qs.annotate(
        last_token_use=Max("api_tokens__last_used_at"),
    ).annotate(
        last_activity=Greatest(
            Coalesce("last_login", "date_joined", output_field=DateTimeField()),
            Coalesce("last_token_use", "date_joined", output_field=DateTimeField()),
            output_field=DateTimeField(),
        )
    )


def dormancy_cutoff(now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    return (now or clock.now()) - dt.timedelta(days=days or settings.DORMANT_DAYS)


def dormant_accounts(*, now: dt.datetime | None = None, days: int | None = None) -> QuerySet[User]:
    """Active staff accounts with no activity for ``days`` (``ANZU_DORMANT_DAYS``).

    Excluded: tenant portal accounts (their access follows their lease), accounts flagged as
    service accounts, superusers and accounts of no organization.
    """
    cutoff = dormancy_cutoff(now, days)
    qs = User.objects.filter(
        is_active=True,
        is_superuser=False,
        kind=UserKind.STAFF,
        organization__isnull=False,
    ).exclude(account_state__service_account=True)
    return with_last_activity(qs).filter(last_activity__lt=cutoff).order_by("pk")  # type: ignore[misc]


def accounts_overview(organization_id: int, *, status: str = "") -> QuerySet[User]:
    """Staff accounts of an organization with their lifecycle state and last activity."""
    qs = User.objects.filter(organization_id=organization_id, kind=UserKind.STAFF)
    if status == "frozen":
        qs = qs.filter(is_active=False)
    elif status == "active":
        qs = qs.filter(is_active=True)
    elif status == "reset":
        qs = qs.filter(account_state__password_reset_required=True)
    return with_last_activity(qs).select_related("account_state").order_by("username")


def account_row(user: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the account list shows of one annotated user."""
    state = getattr(user, "account_state", None) if _has_state(user) else None
    now = now or clock.now()
    warn_at = dormancy_cutoff(now) + dt.timedelta(days=DORMANT_WARNING_DAYS)
    if not user.is_active:
        status = "frozen"
    elif state is not None and state.password_reset_required:
        status = "reset_required"
    elif (
        not (state is not None and state.service_account)
        and user.last_activity is not None
        and user.last_activity < warn_at
    ):
        status = "dormant_soon"
    else:
        status = "active"
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "is_active": user.is_active,
        "status": status,
        "frozen_at": state.frozen_at if state is not None and not user.is_active else None,
        "frozen_source": state.frozen_source if state is not None and not user.is_active else "",
        "frozen_reason": state.frozen_reason if state is not None and not user.is_active else "",
        "frozen_source_label": (
            str(dict(Source.choices).get(state.frozen_source, ""))
            if state is not None and not user.is_active
            else ""
        ),
        "password_reset_required": bool(state and state.password_reset_required),
        "service_account": bool(state and state.service_account),
        "employee_id": state.employee_id if state is not None else "",
        "last_activity": user.last_activity,
        "last_login": user.last_login,
    }


def _has_state(user: Any) -> bool:
    try:
        return user.account_state is not None
    except User.account_state.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False


def account_events(user: User) -> QuerySet[AccountEvent]:
    return AccountEvent.objects.filter(user=user).select_related("by").order_by("-at", "-id")


def leases_by_frozen_accounts(*, organization_id: int | None = None) -> QuerySet[Any]:
    """Leases created by accounts that were frozen at some time (before or after the lease).

    Each lease is annotated with ``creator_frozen_at`` (the creator's first freeze),
    ``creator_freeze_source`` (that freeze's source) and ``created_while_frozen`` (True when the
    lease was created at or after that first freeze). Ordered by creation time, newest first.
    """
    from django.db.models import BooleanField, Case, Value, When

    from anzu.leasing.models import Lease

    first_freeze = AccountEvent.objects.filter(
        user_id=OuterRef("created_by_id"), kind=EventKind.FROZEN
    ).order_by("at", "id")
    qs = Lease.objects.filter(created_by__isnull=False).annotate(
        creator_frozen_at=Subquery(first_freeze.values("at")[:1]),
        creator_freeze_source=Subquery(first_freeze.values("source")[:1]),
    )
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return (
        qs.filter(creator_frozen_at__isnull=False)
        .annotate(
            created_while_frozen=Case(
                When(Q(created_at__gte=F("creator_frozen_at")), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("created_by", "unit", "customer")
        .order_by("-created_at", "-id")
    )


def first_freeze_times(user_ids: list[int]) -> dict[int, dt.datetime]:
    rows = (
        AccountEvent.objects.filter(user_id__in=user_ids, kind=EventKind.FROZEN)
        .values("user_id")
        .annotate(first=Min("at"))
    )
    return {r["user_id"]: r["first"] for r in rows}


def first_freezes(user_ids: list[int]) -> dict[int, tuple[dt.datetime, str]]:
    """Each account's first freeze: its time and source (accounts never frozen are absent)."""
    found: dict[int, tuple[dt.datetime, str]] = {}
    rows = (
        AccountEvent.objects.filter(user_id__in=user_ids, kind=EventKind.FROZEN)
        .order_by("user_id", "at", "id")
        .values_list("user_id", "at", "source")
    )
    for user_id, at, source in rows:
        found.setdefault(user_id, (at, source))
    return found


def recent_hr_events(organization_id: int, limit: int = 20) -> list[HrWebhookEvent]:
    return list(
        HrWebhookEvent.objects.filter(organization_id=organization_id)
        .select_related("user")
        .order_by("-received_at", "-id")[:limit]
    )
