"""Read-only queries over customers and leases, always within the user's organization and scope.

Rows for display go through :mod:`anzu.leasing.presenters` so masking and hidden amounts are the
same on every page and in the API.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from anzu.common.pagination import Page, paginate
from anzu.leasing import access as leasing_access
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Customer, Lease
from anzu.leasing.presenters import present_customer, present_lease
from anzu.portfolio.models import Unit

# A lease still holds its unit (now or in future) in these statuses.
HOLDING_STATUSES = (LeaseStatus.DRAFT, LeaseStatus.PENDING_APPROVAL, LeaseStatus.ACTIVE)
UI_PAGE_SIZE = 25


@dataclass
class LeaseStatusCount:
    status: str
    label: str
    count: int


def lease_status_summary(user: Any) -> dict[str, Any]:
    rows = (
        leasing_access.leases_for_user(user)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts = dict(rows)
    return {
        "total": sum(counts.values()),
        "by_status": [
            LeaseStatusCount(value, str(label), counts.get(value, 0))
            for value, label in LeaseStatus.choices
        ],
    }


def expiring_lease_count(user: Any, *, today: dt.date, days: int) -> int:
    return (
        leasing_access.leases_for_user(user)
        .filter(
            status=LeaseStatus.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=days),
        )
        .count()
    )


def active_rent_roll(user: Any, *, today: dt.date) -> Decimal:
    """Monthly rent of the leases active today (callers check that the user sees amounts)."""
    total = (
        leasing_access.leases_for_user(user)
        .filter(status=LeaseStatus.ACTIVE, start_date__lte=today, occupied_until__gte=today)
        .aggregate(total=Sum("monthly_rent"))["total"]
    )
    return total or Decimal("0.00")


# Customers --------------------------------------------------------------------------------------


def _tag_filter(tag: str) -> Q:
    # Tags are a JSON list; match the quoted element as stored (escaped or not, per backend).
    return Q(tags__icontains=json.dumps(tag)) | Q(
        tags__icontains=json.dumps(tag, ensure_ascii=False)
    )


def customer_search(
    user: Any, *, q: str = "", kind: str = "", tag: str = "", page: int = 1
) -> tuple[Page, list[dict[str, Any]]]:
    qs: QuerySet[Customer] = leasing_access.customers_for_user(user)
    if q:
        qs = qs.filter(name__icontains=q)
    if kind:
        qs = qs.filter(kind=kind)
    if tag:
        qs = qs.filter(_tag_filter(tag))
    qs = qs.order_by("name", "id")
    result = _safe_page(qs, page)
    return result, [present_customer(user, c) for c in result.items]


CUSTOMER_CHOICE_LIMIT = 50


def customer_choices(
    user: Any, *, q: str = "", selected: Any = None, limit: int = CUSTOMER_CHOICE_LIMIT
) -> list[tuple[int, str]]:
    """Customers for a picker: the selected one first, then up to ``limit`` matching ``q``.

    Labels come from the presenter, so a masked viewer sees a masked phone number.
    """
    qs = leasing_access.customers_for_user(user).order_by("name", "id")
    chosen: list[Customer] = []
    selected_id = _int_or_none(selected)
    if selected_id is not None:
        chosen = list(qs.filter(pk=selected_id))
    matches = qs.filter(name__icontains=q) if q else qs
    if selected_id is not None:
        matches = matches.exclude(pk=selected_id)
    customers = chosen + list(matches[:limit])
    return [(c.pk, _customer_label(user, c)) for c in customers]


def _customer_label(user: Any, customer: Customer) -> str:
    shown = present_customer(user, customer)
    return f"{shown['name']} · {shown['phone']}" if shown["phone"] else shown["name"]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def customer_leases(user: Any, customer: Customer) -> list[dict[str, Any]]:
    qs = (
        leasing_access.leases_for_user(user)
        .filter(customer_id=customer.pk)
        .select_related("unit", "customer", "building")
        .order_by("-start_date", "-id")
    )
    return [_lease_row(user, lease) for lease in qs]


# Leases -----------------------------------------------------------------------------------------


@dataclass
class LeaseFilters:
    status: str = ""
    project: int | None = None
    building: int | None = None
    unit_code: str = ""
    customer: str = ""
    start_from: dt.date | None = None
    start_to: dt.date | None = None
    end_from: dt.date | None = None
    end_to: dt.date | None = None


def lease_search(
    user: Any, filters: LeaseFilters, *, page: int = 1
) -> tuple[Page, list[dict[str, Any]]]:
    qs = leasing_access.leases_for_user(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.project:
        qs = qs.filter(project_id=filters.project)
    if filters.building:
        qs = qs.filter(building_id=filters.building)
    if filters.unit_code:
        qs = qs.filter(unit__code__icontains=filters.unit_code)
    if filters.customer:
        qs = qs.filter(customer__name__icontains=filters.customer)
    if filters.start_from:
        qs = qs.filter(start_date__gte=filters.start_from)
    if filters.start_to:
        qs = qs.filter(start_date__lte=filters.start_to)
    if filters.end_from:
        qs = qs.filter(end_date__gte=filters.end_from)
    if filters.end_to:
        qs = qs.filter(end_date__lte=filters.end_to)
    qs = qs.select_related("unit", "customer", "building").order_by("-start_date", "-id")
    result = _safe_page(qs, page)
    return result, [_lease_row(user, lease) for lease in result.items]


def unit_leases(user: Any, unit: Unit, *, today: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The unit's leases split into current (holding the unit today or later) and past."""
    qs = (
        leasing_access.leases_for_user(user)
        .filter(unit_id=unit.pk)
        .select_related("unit", "customer", "building")
        .order_by("-start_date", "-id")
    )
    current: list[dict[str, Any]] = []
    past: list[dict[str, Any]] = []
    for lease in qs:
        row = _lease_row(user, lease)
        if lease.status in HOLDING_STATUSES and lease.occupied_until >= today:
            current.append(row)
        else:
            past.append(row)
    return {"current": current, "past": past}


def _lease_row(user: Any, lease: Lease) -> dict[str, Any]:
    row = present_lease(user, lease)
    row["building_name"] = lease.building.name
    row["status_label"] = lease.get_status_display()
    return row


def _safe_page(qs: QuerySet[Any], page: int) -> Page:
    result = paginate(qs, page=page, page_size=UI_PAGE_SIZE)
    if page > result.pages:
        result = paginate(qs, page=result.pages, page_size=UI_PAGE_SIZE)
    return result
