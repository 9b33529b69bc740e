"""Collection KPIs as of a date, computed exactly from the ledger (docs/kpis.md defines each one).

A bill's balance at the end of a day D is its amount minus the allocations and deposit offsets
made by then. The billing services write every change of ``Bill.paid_amount`` together with the
allocation or offset that causes it, so

    outstanding at D = (amount − paid_amount today) + (allocations and offsets made after D)

and a bill was unpaid at D exactly when it is unpaid today or was settled (in part) after D.
The aging and the rates are computed that way, with set-based sums over the bills and over the
settlements made after D (few, for a recent D), never a balance per bill. The trend takes the
other side of the identity (amount due by D minus the settlements made by D), so its last month
and the cards cross-check each other. Either way the figures for a past date ignore everything
settled after it and stay the same when asked again later.

Queries, whatever the number of bills: three for the aging (which also give the overdue rate by
amount), one for the lease rate, one for the days to collect, three for the collection by stage
and three for the 12-month trend.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.utils.translation import gettext_noop

from anzu.billing.choices import BillKind, BillStatus, DepositEntryKind
from anzu.billing.dunning.models import DunningStep, PolicyVersion
from anzu.billing.models import Allocation, Bill, DepositEntry
from anzu.billing.selectors import AGING_BUCKETS
from anzu.common import clock
from anzu.common.errors import ValidationFailed
from anzu.common.money import CENT
from anzu.dashboards import access as kpi_access
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease

# Messages of this module, listed for translation (the page shows them on the form).
MESSAGES = [
    gettext_noop("The period ends before it starts."),
    gettext_noop("Choose a date between 1900 and 2999."),
]

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO_MONEY = Value(ZERO, output_field=MONEY)
# Bills the KPIs count: everything a tenant owes for the use of the unit. Deposits are left
# out: a deposit is security held and paid back, not income, and is collected at signing.
KPI_KINDS = (
    BillKind.RENT,
    BillKind.PROPERTY_FEE,
    BillKind.UTILITY,
    BillKind.OTHER,
    BillKind.LATE_FEE,
)
# Leases that ran (were activated) at some point; drafts, pending and void leases never did.
RUNNING_LEASE_STATUSES = (LeaseStatus.ACTIVE, LeaseStatus.TERMINATED, LeaseStatus.EXPIRED)
NO_STAGE = "none"
# Dates the KPIs accept (the trend reaches back 11 months, the day after D must exist).
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
TREND_MONTHS = 12


# Parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiParams:
    """What the KPIs are asked for: an as-of date, a period and an optional project."""

    as_of: dt.date
    start: dt.date
    end: dt.date
    project_id: int | None = None


def kpi_params(
    user: Any,
    *,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    project_id: int | None = None,
) -> KpiParams:
    """Fill in the defaults and check the parameters (422 naming the field, 404 for a project
    out of reach). Default as-of date: today (the organization's business date); default period:
    the first day of the as-of date's month through the as-of date."""
    kpi_access.require_kpis(user)
    for field, value in (("as_of", as_of), ("start", start), ("end", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValidationFailed(
                "out_of_range", "Choose a date between 1900 and 2999.", field=field
            )
    as_of = as_of or clock.today(_tz_name(user))
    end_given = end is not None
    end = end or as_of
    start = start or end.replace(day=1)
    if end < start:
        raise ValidationFailed(
            "period_reversed",
            "The period ends before it starts.",
            field="end" if end_given else "start",
        )
    if project_id is not None:
        project_id = kpi_access.project_for_kpis(user, project_id).pk
    return KpiParams(as_of=as_of, start=start, end=end, project_id=project_id)


# Building blocks ----------------------------------------------------------------------------


def _tz_name(user: Any) -> str:
    return str(user.organization.time_zone)


def day_end(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant after the business day ``day``: what was created before it counts."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def rate(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part / whole`` as a percentage with two decimals, rounded half up; None for 0/0."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def kpi_bills(user: Any, params: KpiParams) -> QuerySet[Bill]:
    """The bills the KPIs count: in the user's organization and scope (and project), of the
    KPI kinds, not void."""
    qs = kpi_access.bills_for_kpis(user).filter(kind__in=KPI_KINDS).exclude(status=BillStatus.VOID)
    if params.project_id is not None:
        qs = qs.filter(project_id=params.project_id)
    return qs


OUTSTANDING_NOW = ExpressionWrapper(F("amount") - F("paid_amount"), output_field=MONEY)


def settled_since(boundary: dt.datetime) -> Q:
    """Condition on a bill: an allocation or a deposit offset was made on it at or after
    ``boundary`` (two uncorrelated ``IN`` lists, each read once per query)."""
    return Q(pk__in=Allocation.objects.filter(created_at__gte=boundary).values("bill_id")) | Q(
        pk__in=DepositEntry.objects.filter(
            created_at__gte=boundary, kind=DepositEntryKind.OFFSET, bill_id__isnull=False
        ).values("bill_id")
    )


def unpaid_at(day: dt.date, tz: dt.tzinfo) -> Q:
    """Condition on a bill: something was still outstanding at the end of ``day`` — it is not
    fully paid today, or part of it was settled after that day."""
    return Q(amount__gt=F("paid_amount")) | settled_since(day_end(day, tz))


def _money(value: Any) -> Decimal:
    return (value or ZERO).quantize(CENT)


# 1 + 4. Aging as of a date and the overdue rate by amount -----------------------------------


def _buckets(as_of: dt.date, due_date: str) -> list[tuple[str, Q]]:
    """The aging buckets as conditions on the ``due_date`` lookup given."""
    out = []
    for key, low, high in AGING_BUCKETS:
        cond = Q(**{f"{due_date}__lte": as_of - dt.timedelta(days=low)})
        if high is not None:
            cond &= Q(**{f"{due_date}__gte": as_of - dt.timedelta(days=high)})
        out.append((key, cond))
    return out


def aging_as_of(bills: QuerySet[Bill], *, as_of: dt.date, tz: dt.tzinfo) -> dict[str, Any]:
    """Outstanding amounts at the end of ``as_of`` by days overdue (three queries).

    The as-of twin of :func:`anzu.billing.selectors.aging` (same buckets, same rule: days
    overdue = as_of − due date, a bill due on ``as_of`` is 0 days overdue), with the balances of
    that day instead of today's. Also returns the amount due by then (the denominator of the
    overdue rate by amount).
    """
    after = day_end(as_of, tz)
    due = bills.filter(due_date__lte=as_of)
    unpaid = unpaid_at(as_of, tz)
    bill_sums: dict[str, Any] = {"due_amount": Sum("amount")}
    later_sums: dict[str, Any] = {}
    for key, cond in _buckets(as_of, "due_date"):
        bill_sums[f"{key}__open"] = Sum(OUTSTANDING_NOW, filter=cond)
        bill_sums[f"{key}__count"] = Count("id", filter=cond & unpaid)
    for key, cond in _buckets(as_of, "bill__due_date"):
        later_sums[key] = Sum("amount", filter=cond)
    row = due.aggregate(**bill_sums)
    later_allocated = Allocation.objects.filter(created_at__gte=after, bill__in=due).aggregate(
        **later_sums
    )
    later_offset = DepositEntry.objects.filter(
        created_at__gte=after, kind=DepositEntryKind.OFFSET, bill__in=due
    ).aggregate(**later_sums)
    buckets = [
        {
            "bucket": key,
            "count": row[f"{key}__count"],
            "amount": _money(row[f"{key}__open"])
            + _money(later_allocated[key])
            + _money(later_offset[key]),
        }
        for key, _low, _high in AGING_BUCKETS
    ]
    return {
        "as_of": as_of,
        "due_amount": _money(row["due_amount"]),
        "buckets": buckets,
        "overdue_total": sum((b["amount"] for b in buckets), ZERO),
        "overdue_count": sum(b["count"] for b in buckets),
    }


# 2. Overdue rate by lease --------------------------------------------------------------------


def lease_overdue(
    bills: QuerySet[Bill], *, organization_id: int, as_of: dt.date, tz: dt.tzinfo
) -> dict[str, Any]:
    """Leases running at ``as_of`` with a KPI bill due by then, and those of them with a bill
    due before ``as_of`` still unpaid at its end (one query)."""
    due = bills.filter(due_date__lte=as_of).values("lease_id")
    overdue = bills.filter(unpaid_at(as_of, tz), due_date__lt=as_of).values("lease_id")
    row = Lease.objects.filter(
        organization_id=organization_id,
        status__in=RUNNING_LEASE_STATUSES,
        start_date__lte=as_of,
        occupied_until__gte=as_of,
        pk__in=due,
    ).aggregate(leases=Count("id"), overdue=Count("id", filter=Q(pk__in=overdue)))
    return {
        "leases": row["leases"],
        "overdue_leases": row["overdue"],
        "rate": rate(row["overdue"], row["leases"]),
    }


# 3. Days to collect -------------------------------------------------------------------------


def _median(values: list[int]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid]).quantize(CENT)
    return (Decimal(ordered[mid - 1] + ordered[mid]) / 2).quantize(CENT, rounding=ROUND_HALF_UP)


def days_to_collect(
    bills: QuerySet[Bill], *, start: dt.date, end: dt.date, tz: dt.tzinfo
) -> dict[str, Any]:
    """Bills whose last settlement (the one that completed them) fell in ``[start, end]``:
    days from due date to that settlement's business date, early payment counting 0 (one query;
    the rows read are the bills completed in the period, for the median)."""
    low, high = day_start(start, tz), day_end(end, tz)
    in_period = Q(created_at__gte=low, created_at__lt=high)
    # The completing settlement is one made in the period: only such bills are read.
    touched = Q(pk__in=Allocation.objects.filter(in_period).values("bill_id")) | Q(
        pk__in=DepositEntry.objects.filter(
            in_period, kind=DepositEntryKind.OFFSET, bill_id__isnull=False
        ).values("bill_id")
    )
    rows = (
        bills.filter(touched, status=BillStatus.PAID)
        .annotate(
            last_allocation=Max("allocations__created_at"),
            last_offset=Max(
                "deposit_entries__created_at",
                filter=Q(deposit_entries__kind=DepositEntryKind.OFFSET),
            ),
        )
        .filter(
            Q(last_allocation__gte=low, last_allocation__lt=high)
            | Q(last_offset__gte=low, last_offset__lt=high)
        )
        .values_list("due_date", "last_allocation", "last_offset")
    )
    days: list[int] = []
    for due_date, last_allocation, last_offset in rows:
        completed = max(t for t in (last_allocation, last_offset) if t is not None)
        if not low <= completed < high:
            continue  # the other settlement was later, outside the period
        paid_on = completed.astimezone(tz).date()
        days.append(max(0, (paid_on - due_date).days))
    mean = (Decimal(sum(days)) / len(days)).quantize(CENT, rounding=ROUND_HALF_UP) if days else None
    return {"bills": len(days), "mean": mean, "median": _median(days)}


# 5. Collection by dunning stage ---------------------------------------------------------------


def _stage_order(stages: list[dict[str, Any]]) -> dict[str, tuple[int, int, str]]:
    """Each stage code of a policy version → (offset days, position, name)."""
    order: dict[str, tuple[int, int, str]] = {}
    for position, stage in enumerate(stages or []):
        code = str(stage.get("code", ""))
        order[code] = (int(stage.get("offset_days", 0)), position, str(stage.get("name", code)))
    return order


def collection_by_stage(
    bills: QuerySet[Bill], *, start: dt.date, end: dt.date, tz: dt.tzinfo
) -> dict[str, Any]:
    """Money allocated in ``[start, end]`` to the bills, by the furthest dunning stage each bill
    had entered on or before the allocation's business date (three queries: the period's
    allocations, the steps of their bills, the policy versions of those steps)."""
    period = Allocation.objects.filter(
        bill__in=bills, created_at__gte=day_start(start, tz), created_at__lt=day_end(end, tz)
    )
    allocations = list(period.values_list("bill_id", "amount", "created_at").order_by("id"))
    steps_by_bill: dict[int, list[tuple[dt.date, str, int, int]]] = defaultdict(list)
    for bill_id, code, on_date, version_id, step_id in DunningStep.objects.filter(
        bill_id__in=period.values("bill_id")
    ).values_list("bill_id", "stage_code", "on_date", "policy_version_id", "id"):
        steps_by_bill[bill_id].append((on_date, code, version_id, step_id))
    versions = {
        pk: _stage_order(stages)
        for pk, stages in PolicyVersion.objects.filter(
            id__in={s[2] for steps in steps_by_bill.values() for s in steps}
        )
        .order_by("id")
        .values_list("id", "stages")
    }
    # The latest version naming a code gives its place on the page and its name.
    display: dict[str, tuple[int, int, str]] = {}
    for pk in sorted(versions):
        display.update(versions[pk])

    def rank(step: tuple[dt.date, str, int, int]) -> tuple[int, int, dt.date, int]:
        on_date, code, version_id, step_id = step
        offset, position, _name = versions.get(version_id, {}).get(code) or display.get(
            code, (0, 0, code)
        )
        return (offset, position, on_date, step_id)

    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    bill_sets: dict[str, set[int]] = defaultdict(set)
    for bill_id, amount, created_at in allocations:
        paid_on = created_at.astimezone(tz).date()
        entered = [s for s in steps_by_bill.get(bill_id, ()) if s[0] <= paid_on]
        code = max(entered, key=rank)[1] if entered else NO_STAGE
        amounts[code] += amount
        counts[code] += 1
        bill_sets[code].add(bill_id)

    def place(code: str) -> tuple[int, int, int, str]:
        if code == NO_STAGE:
            return (0, 0, 0, "")
        offset, position, _name = display.get(code, (0, 0, code))
        return (1, offset, position, code)

    rows: list[dict[str, Any]] = [
        {
            "stage": code,
            "name": "" if code == NO_STAGE else display.get(code, (0, 0, code))[2],
            "amount": amounts[code].quantize(CENT),
            "bills": len(bill_sets[code]),
            "allocations": counts[code],
        }
        for code in sorted(amounts, key=place)
    ]
    return {
        "stages": rows,
        "total": sum((r["amount"] for r in rows), ZERO),
        "allocations": len(allocations),
    }


# 6. Monthly trend ---------------------------------------------------------------------------


def _month_start(day: dt.date, back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(first: dt.date) -> dt.date:
    return _month_start(first, -1) - dt.timedelta(days=1)


def monthly_trend(
    bills: QuerySet[Bill], *, as_of: dt.date, tz: dt.tzinfo, months: int = TREND_MONTHS
) -> list[dict[str, Any]]:
    """For each of the ``months`` months ending with the as-of month: the overdue rate by
    amount at the month's last day (the as-of date for its own month) and the money allocated
    to the bills in the month up to that day (three queries, whatever the number of months).

    Σ over bills due by day X of (amount − settled by X) is (amount due by X) − (settlements made
    by X on bills due by X), so each month is two conditional sums, not a balance per bill.
    """
    points = []
    for back in range(months - 1, -1, -1):
        first = _month_start(as_of, back)
        points.append((first, min(_month_end(first), as_of)))
    bill_sums: dict[str, Any] = {}
    settle_sums: dict[str, Any] = {}
    offset_sums: dict[str, Any] = {}
    for i, (first, last) in enumerate(points):
        by = day_end(last, tz)
        bill_sums[f"due_{i}"] = Sum("amount", filter=Q(due_date__lte=last))
        settled = Q(created_at__lt=by, bill__due_date__lte=last)
        settle_sums[f"settled_{i}"] = Sum("amount", filter=settled)
        settle_sums[f"collected_{i}"] = Sum(
            "amount", filter=Q(created_at__gte=day_start(first, tz), created_at__lt=by)
        )
        offset_sums[f"settled_{i}"] = Sum("amount", filter=settled)
    window = Q(created_at__lt=day_end(as_of, tz))
    due = bills.filter(due_date__lte=as_of).aggregate(**bill_sums)
    allocated = Allocation.objects.filter(window, bill__in=bills).aggregate(**settle_sums)
    offset = DepositEntry.objects.filter(
        window, kind=DepositEntryKind.OFFSET, bill__in=bills
    ).aggregate(**offset_sums)
    trend = []
    for i, (first, last) in enumerate(points):
        due_amount = _money(due[f"due_{i}"])
        overdue = due_amount - _money(allocated[f"settled_{i}"]) - _money(offset[f"settled_{i}"])
        trend.append(
            {
                "month": f"{first:%Y-%m}",
                "as_of": last,
                "due_amount": due_amount,
                "overdue_amount": overdue,
                "overdue_rate": rate(overdue, due_amount),
                "collected": _money(allocated[f"collected_{i}"]),
            }
        )
    return trend


# Everything for the page and the API ----------------------------------------------------------


def collection_kpis(user: Any, params: KpiParams) -> dict[str, Any]:
    """All collection KPIs for ``params`` over the user's bills (amounts unmasked: the
    presenter decides what the user sees)."""
    kpi_access.require_kpis(user)
    tz = clock.business_tz(_tz_name(user))
    bills = kpi_bills(user, params)
    aging = aging_as_of(bills, as_of=params.as_of, tz=tz)
    return {
        "as_of": params.as_of,
        "start": params.start,
        "end": params.end,
        "project_id": params.project_id,
        "overdue_by_amount": {
            "due_amount": aging["due_amount"],
            "overdue_amount": aging["overdue_total"],
            "rate": rate(aging["overdue_total"], aging["due_amount"]),
        },
        "overdue_by_lease": lease_overdue(
            bills, organization_id=user.organization_id, as_of=params.as_of, tz=tz
        ),
        "days_to_collect": days_to_collect(bills, start=params.start, end=params.end, tz=tz),
        "aging": {
            "as_of": aging["as_of"],
            "buckets": aging["buckets"],
            "overdue_total": aging["overdue_total"],
            "overdue_count": aging["overdue_count"],
        },
        "collection_by_stage": collection_by_stage(
            bills, start=params.start, end=params.end, tz=tz
        ),
        "trend": monthly_trend(bills, as_of=params.as_of, tz=tz),
    }
