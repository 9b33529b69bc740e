"""Reads: QR resolution, the articles a tenant sees, the editor's list, deflection statistics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from anzu.common import clock
from anzu.core.models import Organization
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Customer
from anzu.maintenance.knowledge import categories
from anzu.maintenance.knowledge.choices import DeflectionOutcome
from anzu.maintenance.knowledge.models import Article, DeflectionEvent, QrKeyVersion
from anzu.maintenance.knowledge.tokens import (
    QrCodeExpired,
    QrCodeInvalid,
    QrCodeReplaced,
    qr_read,
    qr_sign,
)
from anzu.portfolio.models import Building, Unit

# A visit that is still only "shown" this long after the articles were shown is abandoned.
ABANDON_AFTER = dt.timedelta(hours=24)


# QR codes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QrPolicy:
    version: int
    max_age_days: int | None


def qr_policy(organization_id: int) -> QrPolicy:
    """The organization's current QR key version (1 before any rotation) and its max age."""
    row = QrKeyVersion.objects.filter(organization_id=organization_id).order_by("-version").first()
    if row is None:
        return QrPolicy(version=1, max_age_days=None)
    return QrPolicy(version=row.version, max_age_days=row.max_age_days)


def qr_token_for(
    unit: Unit, *, policy: QrPolicy | None = None, today: dt.date | None = None
) -> str:
    policy = policy or qr_policy(unit.organization_id)
    return qr_sign(
        organization_id=unit.organization_id,
        unit_id=unit.pk,
        version=policy.version,
        issued_on=today or clock.today(),
    )


def qr_resolve(token: str) -> Unit:
    """The unit a scanned token stands for.

    Forged, malformed or unknown → :class:`QrCodeInvalid` (404); an older key version →
    :class:`QrCodeReplaced` (410); older than the version's max age → :class:`QrCodeExpired` (410).
    """
    claim = qr_read(token)
    unit = (
        Unit.objects.select_related("building", "project", "organization")
        .filter(pk=claim.unit_id, organization_id=claim.organization_id)
        .first()
    )
    if unit is None:
        raise QrCodeInvalid()
    policy = qr_policy(claim.organization_id)
    if claim.version < policy.version:
        raise QrCodeReplaced()
    if claim.version > policy.version:
        raise QrCodeInvalid()
    if policy.max_age_days is not None:
        age = (clock.today(unit.organization.time_zone) - claim.issued_on).days
        if age > policy.max_age_days:
            raise QrCodeExpired()
    return unit


def qr_sheet_units(building: Building) -> QuerySet[Unit]:
    return Unit.objects.filter(building=building).order_by("floor", "code", "id")


# Tenants -----------------------------------------------------------------------------------------


def unit_tenants(unit: Unit) -> QuerySet[Customer]:
    """Customers holding an active lease on the unit."""
    return Customer.objects.filter(
        organization_id=unit.organization_id,
        leases__unit=unit,
        leases__status=LeaseStatus.ACTIVE,
    ).distinct()


def tenant_of_unit(
    unit: Unit, *, customer_id: int | None = None, phone_index: str = ""
) -> Customer | None:
    qs = unit_tenants(unit)
    if customer_id is not None:
        return qs.filter(pk=customer_id).first()
    if phone_index:
        return qs.filter(phone_index=phone_index).order_by("id").first()
    return None


# Articles ----------------------------------------------------------------------------------------


def _overridden_builtin_ids(organization_id: int) -> Any:
    return Article.objects.filter(organization_id=organization_id, overrides__isnull=False).values(
        "overrides_id"
    )


def articles_for_category(organization_id: int, category_code: str) -> list[Article]:
    """Published articles a tenant of the organization sees for a category, in order.

    The organization's own published articles plus the built-in ones it has not overridden.
    """
    qs = Article.objects.filter(category_code=category_code, is_published=True).filter(
        Q(organization_id=organization_id)
        | (Q(organization__isnull=True) & ~Q(pk__in=_overridden_builtin_ids(organization_id)))
    )
    return list(qs.order_by("position", "id"))


def articles_for_editor(organization_id: int) -> QuerySet[Article]:
    """Every article the organization's editor manages: its own plus the built-in ones."""
    return (
        Article.objects.filter(Q(organization_id=organization_id) | Q(organization__isnull=True))
        .select_related("updated_by", "overrides")
        .order_by("category_code", "position", "id")
    )


def override_map(organization_id: int) -> dict[int, int]:
    """Built-in article id → id of the organization's override."""
    return dict(
        Article.objects.filter(
            organization_id=organization_id, overrides__isnull=False
        ).values_list("overrides_id", "id")
    )


# Deflection --------------------------------------------------------------------------------------


def _bounds(organization_id: int, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz_name = (
        Organization.objects.filter(pk=organization_id).values_list("time_zone", flat=True).first()
    )
    tz = clock.business_tz(tz_name)
    lower = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return lower, upper


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def deflection_stats(
    organization_id: int, start: dt.date, end: dt.date, *, by: str = "category"
) -> dict[str, Any]:
    """Visits shown articles between ``start`` and ``end`` (business dates, inclusive).

    Per category and in total: ``shown`` (visits), ``solved``, ``escalated`` (a ticket was
    created), ``abandoned`` (still only shown 24 h after), ``pending`` (still only shown, less
    than 24 h ago) and ``deflection_rate = solved / shown`` (None when nothing was shown).
    """
    if by != "category":
        raise ValueError("deflection statistics are grouped by category only")
    lower, upper = _bounds(organization_id, start, end)
    cutoff = clock.now() - ABANDON_AFTER
    open_ = Q(outcome=DeflectionOutcome.SHOWN)
    rows = (
        DeflectionEvent.objects.filter(organization_id=organization_id, at__gte=lower, at__lt=upper)
        .values("category_code")
        .annotate(
            shown=Count("id"),
            solved=Count("id", filter=Q(outcome=DeflectionOutcome.SOLVED)),
            escalated=Count("id", filter=Q(outcome=DeflectionOutcome.ESCALATED)),
            abandoned=Count("id", filter=open_ & Q(at__lt=cutoff)),
            pending=Count("id", filter=open_ & Q(at__gte=cutoff)),
        )
        .order_by("category_code")
    )
    keys = ("shown", "solved", "escalated", "abandoned", "pending")
    items: list[dict[str, Any]] = []
    total = dict.fromkeys(keys, 0)
    for row in rows:
        row_data: dict[str, Any] = dict(row)
        counts = {k: int(row_data[k]) for k in keys}
        items.append(
            {
                "category_code": row_data["category_code"],
                "category": categories.label(row_data["category_code"]),
                **counts,
                "deflection_rate": _rate(counts["solved"], counts["shown"]),
            }
        )
        for k in keys:
            total[k] += counts[k]
    return {
        "start": start,
        "end": end,
        "items": items,
        "total": {**total, "deflection_rate": _rate(total["solved"], total["shown"])},
    }


def verified_challenge(unit: Unit, challenge_id: Any, *, within: dt.timedelta) -> Any:
    """The unit's SMS challenge ``challenge_id`` if it was verified less than ``within`` ago."""
    from anzu.maintenance.knowledge.models import SmsChallenge

    if challenge_id is None or not str(challenge_id).isdigit():
        return None
    return (
        SmsChallenge.objects.select_related("customer")
        .filter(
            pk=int(challenge_id),
            unit=unit,
            verified_at__isnull=False,
            verified_at__gt=clock.now() - within,
        )
        .first()
    )
