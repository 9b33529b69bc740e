"""Back-testing a policy version over past dates: what would have fired, day by day.

For every bill that could be evaluated in the range, the ledger is replayed as it stood on
each day (a bill counts from the day it was created; its outstanding amount on day X is its
amount minus the allocations made before X), pauses and promises as they were recorded, and
the transitions stored before the range as the starting point. The engine is the same one the
daily run uses (:func:`anzu.billing.dunning.engine.stages_to_enter`), so a back-test of the
published version over past days reproduces what the runs did. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from anzu.billing.choices import BillStatus
from anzu.billing.dunning import engine
from anzu.billing.dunning.models import DunningPause, PaymentPromise, PolicyVersion
from anzu.billing.dunning.policies import compiled
from anzu.billing.dunning.run import DUNNED_LEASE_STATUSES, steps_done, window
from anzu.billing.models import Allocation, Bill
from anzu.common import clock
from anzu.common.errors import ValidationFailed

MAX_DAYS = 92
SAMPLE = 200


def _intervals(
    organization_id: int, start: dt.date, end: dt.date
) -> dict[int, list[tuple[dt.date, dt.date]]]:
    blocked: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for lease_id, first, last in DunningPause.objects.filter(
        organization_id=organization_id, start__lte=end, end__gte=start, cancelled_at__isnull=True
    ).values_list("lease_id", "start", "end"):
        blocked[lease_id].append((first, last))
    for lease_id, first, last in PaymentPromise.objects.filter(
        organization_id=organization_id,
        made_on__lte=end,
        promised_date__gte=start,
        cancelled_at__isnull=True,
    ).values_list("lease_id", "made_on", "promised_date"):
        blocked[lease_id].append((first, last))
    return blocked


def policy_backtest(*, version: PolicyVersion, start: dt.date, end: dt.date) -> dict[str, Any]:
    """What ``version`` would have done each day of ``[start, end]`` (at most 92 days)."""
    if end < start:
        raise ValidationFailed("invalid", "The range ends before it starts.", field="to")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            "too_long", f"Back-test at most {MAX_DAYS} days at once.", field="to"
        )
    if end > clock.today():
        raise ValidationFailed("future", "Back-test past dates only.", field="to")
    policy = compiled(version)
    org = version.organization_id
    lo, _ = window(policy, start)
    _, hi = window(policy, end)
    bills = list(
        Bill.objects.filter(organization_id=org, due_date__gte=lo, due_date__lte=hi)
        .exclude(status=BillStatus.VOID)
        .values_list(
            "id", "lease_id", "lease__code", "due_date", "amount", "created_at",
            "lease__status", "lease__allows_access_freeze", "customer__tags",
        )
        .order_by("due_date", "id")
    )  # fmt: skip
    paid: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for bill_id, amount, at in (
        Allocation.objects.filter(bill__organization_id=org, bill__due_date__gte=lo)
        .filter(bill__due_date__lte=hi)
        .values_list("bill_id", "amount", "created_at")
    ):
        paid[bill_id].append((clock.local(at).date(), amount))
    done = steps_done(org, lo, hi, before=start)
    blocked = _intervals(org, start, end)
    by_day: list[dict[str, Any]] = []
    by_stage: Counter[str] = Counter()
    sample: list[dict[str, Any]] = []
    actions = 0
    cases_seen: set[tuple[int, dt.date, str]] = set()
    day = start
    while day <= end:
        today_counts: Counter[str] = Counter()
        amounts: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
        live = []
        for bill_id, lease_id, code, due, amount, created, lease_status, freeze, tags in bills:
            if clock.local(created).date() > day or lease_status not in DUNNED_LEASE_STATUSES:
                continue
            if due < day - dt.timedelta(days=max(policy.max_offset, 0) + policy.catch_up_days):
                continue
            if due > day - dt.timedelta(days=policy.min_offset):
                continue
            outstanding = amount - sum((a for d, a in paid.get(bill_id, ()) if d < day), Decimal(0))
            if outstanding <= 0:
                continue
            if any(a <= day <= b for a, b in blocked.get(lease_id, ())):
                continue
            tag_set = frozenset(tags or ())
            if tag_set & policy.exempt_tags:
                continue
            amounts[(lease_id, due)] += outstanding
            live.append((bill_id, lease_id, code, due, tag_set, bool(freeze)))
        for bill_id, lease_id, code, due, tag_set, freeze in live:
            entered = engine.stages_to_enter(
                policy,
                due=due,
                today=day,
                done=done.get(bill_id, {}),
                amount=amounts[(lease_id, due)],
                tags=tag_set,
                flags={"allows_access_freeze": freeze},
            )
            for stage in entered:
                done.setdefault(bill_id, {})[stage.code] = day
                today_counts[stage.code] += 1
                key = (lease_id, due, stage.code)
                if key not in cases_seen:
                    cases_seen.add(key)
                    actions += len(stage.actions)
                    if len(sample) < SAMPLE:
                        sample.append(
                            {
                                "date": day.isoformat(),
                                "lease_id": lease_id,
                                "lease_code": code,
                                "stage": stage.code,
                                "due_date": due.isoformat(),
                                "amount": str(amounts[(lease_id, due)]),
                            }
                        )
        by_stage.update(today_counts)
        by_day.append({"date": day.isoformat(), "by_stage": dict(sorted(today_counts.items()))})
        day += dt.timedelta(days=1)
    return {
        "policy_version": version.number,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": len(by_day),
        "actions": actions,
        "by_stage": dict(sorted(by_stage.items())),
        "by_day": by_day,
        "sample": sample,
    }
