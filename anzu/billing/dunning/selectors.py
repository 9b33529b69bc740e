"""Reads of the dunning app: the board of open cases by stage, the action log, a lease's
timeline, the call queue and the freeze list.

A *case* is a lease and a due date with unpaid open bills that entered at least one stage. Its
current stage is the furthest stage (in the published policy's order) any of its open bills
entered, computed in the database from the stored transitions: one grouped query for the
page, one for the counts by stage, and a few ``IN`` queries for the rows shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    QuerySet,
    Sum,
    Value,
    When,
)

from anzu.billing.choices import BillStatus
from anzu.billing.dunning import access as dunning_access
from anzu.billing.dunning.choices import ActionStatus, CallStatus, FreezeStatus
from anzu.billing.dunning.models import (
    CallTask,
    DunningAction,
    DunningPause,
    DunningRun,
    DunningStep,
    FreezeRequest,
    PaymentPromise,
    PolicyVersion,
)
from anzu.billing.dunning.policies import compiled, policy_published, unsaved_default
from anzu.billing.dunning.policy import Policy, Stage
from anzu.billing.models import Bill, Payment
from anzu.common import clock
from anzu.common.money import CENT
from anzu.core import access
from anzu.leasing.models import Lease

ZERO = Decimal("0.00")
OTHER_STAGE = -1
OUTSTANDING = ExpressionWrapper(
    F("amount") - F("paid_amount"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def board_version(organization_id: int) -> PolicyVersion:
    """The published version (or the default SOP, unsaved, before the first run)."""
    return policy_published(organization_id) or unsaved_default(organization_id)


def _rank(policy: Policy) -> Case:
    return Case(
        *[When(stage_code=s.code, then=Value(s.index)) for s in policy.stages],
        default=Value(OTHER_STAGE),
        output_field=IntegerField(),
    )


def open_steps(user: Any, *, project_id: int | None = None) -> QuerySet[DunningStep]:
    """Stored transitions of the open, unpaid bills in the user's scope."""
    if not dunning_access.can_view(user):
        return DunningStep.objects.none()
    scope = access.scope_of(user)
    qs = DunningStep.objects.filter(
        organization_id=user.organization_id,
        bill__status=BillStatus.OPEN,
        bill__amount__gt=F("bill__paid_amount"),
    ).filter(scope.q(project="bill__project_id", building="bill__building_id"))
    if project_id is not None:
        qs = qs.filter(bill__project_id=project_id)
    return qs


def cases(
    user: Any, policy: Policy, *, stage: str = "", project_id: int | None = None
) -> QuerySet[Any]:
    """Open cases ``{"lease_id", "due_date", "stage_rank"}``, oldest due date first."""
    qs = (
        open_steps(user, project_id=project_id)
        .values("lease_id", "due_date")
        .annotate(stage_rank=Max(_rank(policy)))
    )
    if stage:
        found = policy.by_code.get(stage)
        qs = qs.filter(stage_rank=found.index if found is not None else OTHER_STAGE)
    return qs.order_by("due_date", "lease_id")


def case_counts(
    user: Any, policy: Policy, *, project_id: int | None = None
) -> list[dict[str, Any]]:
    """For each stage of the policy, the number of open cases whose furthest stage it is."""
    inner = (
        open_steps(user, project_id=project_id)
        .values("lease_id", "due_date")
        .annotate(stage_rank=Max(_rank(policy)))
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.stage_rank, COUNT(*) FROM ({sql}) t GROUP BY t.stage_rank",
            params,
        )
        counts = {int(rank): int(n) for rank, n in cursor.fetchall()}
    rows = [
        {
            "code": s.code,
            "name": s.name,
            "offset_days": s.offset,
            "required": s.required,
            "count": counts.get(s.index, 0),
        }
        for s in policy.stages
    ]
    if counts.get(OTHER_STAGE):
        rows.append(
            {
                "code": "",
                "name": "",
                "offset_days": None,
                "required": False,
                "count": counts[OTHER_STAGE],
            }
        )
    return rows


@dataclass
class CaseRow:
    """One open case with what the board shows of it."""

    lease: Lease
    due_date: dt.date
    stage: Stage | None
    amount: Decimal
    done: dict[str, dt.date]
    next_stage: Stage | None
    next_date: dt.date | None
    pending: int
    failed: int


def next_stage(
    policy: Policy,
    *,
    due: dt.date,
    done: dict[str, dt.date],
    current: Stage | None,
    amount: Decimal,
    tags: frozenset[str],
    flags: dict[str, bool],
) -> tuple[Stage | None, dt.date | None]:
    """The next stage the case will enter and the date it is reached (shifted as the engine
    shifts later stages when a required stage happened late)."""
    shift = 0
    for code, when in done.items():
        stage = policy.by_code.get(code)
        if stage is not None and stage.required:
            shift = max(shift, (when - (due + dt.timedelta(days=stage.offset))).days)
    start = current.index + 1 if current is not None else 0
    for stage in policy.stages[start:]:
        if stage.code in done:
            continue
        if not stage.applies(amount=amount, tags=tags, flags=flags):
            continue
        return stage, due + dt.timedelta(days=stage.offset + shift)
    return None, None


def case_rows(policy: Policy, items: list[dict[str, Any]]) -> list[CaseRow]:
    """Complete one page of :func:`cases` with leases, amounts, stages and action counts."""
    if not items:
        return []
    keys = {(row["lease_id"], row["due_date"]) for row in items}
    lease_ids = {k[0] for k in keys}
    due_dates = {k[1] for k in keys}
    leases = Lease.objects.select_related("customer", "unit", "building", "project").in_bulk(
        lease_ids
    )
    amounts: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for lease_id, due, total in (
        Bill.objects.filter(
            lease_id__in=lease_ids,
            due_date__in=due_dates,
            status=BillStatus.OPEN,
            amount__gt=F("paid_amount"),
        )
        .values("lease_id", "due_date")
        .annotate(total=Sum(OUTSTANDING))
        .values_list("lease_id", "due_date", "total")
        .order_by()
    ):
        amounts[(lease_id, due)] = (total or ZERO).quantize(CENT)
    done: dict[tuple[int, dt.date], dict[str, dt.date]] = defaultdict(dict)
    for lease_id, due, code, on in (
        DunningStep.objects.filter(
            lease_id__in=lease_ids,
            due_date__in=due_dates,
            bill__status=BillStatus.OPEN,
            bill__amount__gt=F("bill__paid_amount"),
        )
        .values_list("lease_id", "due_date", "stage_code", "on_date")
        .order_by("on_date")
    ):
        done[(lease_id, due)].setdefault(code, on)
    actions: dict[tuple[int, dt.date, str], int] = defaultdict(int)
    for lease_id, due, status, n in (
        DunningAction.objects.filter(
            lease_id__in=lease_ids,
            due_date__in=due_dates,
            status__in=(ActionStatus.PENDING, ActionStatus.FAILED),
        )
        .values("lease_id", "due_date", "status")
        .annotate(n=Count("id"))
        .values_list("lease_id", "due_date", "status", "n")
        .order_by()
    ):
        actions[(lease_id, due, status)] = n
    rows = []
    for item in items:
        key = (item["lease_id"], item["due_date"])
        lease = leases[key[0]]
        rank = item["stage_rank"]
        current = policy.stages[rank] if rank is not None and rank >= 0 else None
        amount = amounts[key]
        upcoming, when = next_stage(
            policy,
            due=key[1],
            done=done[key],
            current=current,
            amount=amount,
            tags=frozenset(lease.customer.tags or ()),
            flags={"allows_access_freeze": lease.allows_access_freeze},
        )
        rows.append(
            CaseRow(
                lease=lease,
                due_date=key[1],
                stage=current,
                amount=amount,
                done=done[key],
                next_stage=upcoming,
                next_date=when,
                pending=actions[(key[0], key[1], ActionStatus.PENDING)],
                failed=actions[(key[0], key[1], ActionStatus.FAILED)],
            )
        )
    return rows


def latest_run(organization_id: int) -> DunningRun | None:
    return (
        DunningRun.objects.filter(organization_id=organization_id, dry_run=False)
        .order_by("-started_at", "-id")
        .first()
    )


def action_counts(user: Any) -> dict[str, int]:
    counts = dict(
        dunning_access.actions_for_user(user)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
        .order_by()
    )
    return {status: counts.get(status, 0) for status in ActionStatus.values}


def action_search(
    user: Any, *, status: str = "", lease_id: int | None = None
) -> QuerySet[DunningAction]:
    qs = dunning_access.actions_for_user(user)
    if status:
        qs = qs.filter(status=status)
    if lease_id is not None:
        qs = qs.filter(lease_id=lease_id)
    return qs.select_related("lease").order_by("-created_on", "-id")


def call_queue(user: Any, *, which: str = "all", status: str = "") -> QuerySet[CallTask]:
    """Open calls first, oldest due date first; ``which``: mine, unassigned or all."""
    qs = dunning_access.calls_for_user(user)
    if which == "mine":
        qs = qs.filter(assigned_to_id=user.pk)
    elif which == "unassigned":
        qs = qs.filter(assigned_to__isnull=True)
    if status:
        qs = qs.filter(status=status)
    open_first = Case(
        When(status=CallStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.select_related("lease", "customer", "assigned_to", "building").order_by(
        open_first, "due_date", "id"
    )


def freeze_list(user: Any, *, status: str = "") -> QuerySet[FreezeRequest]:
    """Freezes awaiting approval, then approved ones (to lift); or those of ``status``."""
    qs = dunning_access.freezes_for_user(user)
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=(FreezeStatus.REQUESTED, FreezeStatus.APPROVED))
    waiting_first = Case(
        When(status=FreezeStatus.REQUESTED, then=Value(0)),
        When(status=FreezeStatus.APPROVED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.select_related("lease", "customer", "decided_by").order_by(
        waiting_first, "created_at", "id"
    )


def paid_since(promise: PaymentPromise) -> Decimal:
    """What the lease's customer paid since the promise was made (for its state)."""
    tz = clock.business_tz()
    start = dt.datetime.combine(promise.made_on, dt.time(), tz)
    total = Payment.objects.filter(
        organization_id=promise.organization_id,
        lease_id=promise.lease_id,
        received_at__gte=start,
    ).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def promise_state(promise: PaymentPromise, *, today: dt.date) -> str:
    from anzu.billing.dunning.services import promise_state as state

    return state(promise, today=today, paid_since=paid_since(promise))


def lease_timeline(lease: Lease) -> dict[str, Any]:
    """Everything the dunning engine and people did about one lease."""
    return {
        "steps": list(
            DunningStep.objects.filter(lease_id=lease.pk).order_by("on_date", "due_date", "id")
        ),
        "actions": list(
            DunningAction.objects.filter(lease_id=lease.pk)
            .select_related("lease")
            .order_by("-created_on", "-id")
        ),
        "promises": list(
            PaymentPromise.objects.filter(lease_id=lease.pk).select_related("created_by")
        ),
        "pauses": list(DunningPause.objects.filter(lease_id=lease.pk).select_related("created_by")),
        "calls": list(
            CallTask.objects.filter(lease_id=lease.pk)
            .select_related("lease", "customer", "assigned_to", "completed_by")
            .order_by("-due_date", "-id")
        ),
        "freezes": list(
            FreezeRequest.objects.filter(lease_id=lease.pk).select_related(
                "lease", "customer", "decided_by"
            )
        ),
    }


def policy_of(version: PolicyVersion) -> Policy:
    return compiled(version)
