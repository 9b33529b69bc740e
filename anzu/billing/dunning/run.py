"""The daily dunning run: compute today's transitions for every open bill, store them and their actions.

Set-based: per organization one query reads the candidate bills (open, unpaid, due within the
policy's window), one the transitions already stored for that window, two the leases paused or
promised today; the stage walk runs in memory (:mod:`.engine`); the new transitions and
actions are bulk-inserted in one transaction that holds a lock on the organization's published
policy, so two runs of the same day queue and the second finds everything done.

Idempotent: a transition is unique per (bill, stage), so a second run for the same date —
or a retry after a crash — finds the stages entered and creates nothing. ``dry_run`` computes
the same summary and writes nothing (no policy, no templates, no run record).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from anzu.billing.choices import BillStatus
from anzu.billing.dunning import engine
from anzu.billing.dunning.choices import ActionStatus
from anzu.billing.dunning.models import (
    DunningAction,
    DunningPause,
    DunningRun,
    DunningStep,
    PaymentPromise,
    PolicyVersion,
)
from anzu.billing.dunning.policies import (
    compiled,
    policy_ensure_default,
    policy_published,
    unsaved_default,
)
from anzu.billing.dunning.policy import Policy, Stage
from anzu.billing.models import Bill
from anzu.common import clock
from anzu.core import audit
from anzu.core.models import Organization
from anzu.leasing.choices import LeaseStatus

DUNNED_LEASE_STATUSES = frozenset(
    {LeaseStatus.ACTIVE.value, LeaseStatus.TERMINATED.value, LeaseStatus.EXPIRED.value}
)
BATCH = 5000


@dataclass
class Candidate:
    """An open bill as the engine sees it."""

    bill_id: int
    lease_id: int
    customer_id: int
    project_id: int
    building_id: int
    due: dt.date
    outstanding: Decimal


@dataclass
class Evaluation:
    """What one organization's run found: transitions and actions to store, and the counts."""

    evaluated_bills: int = 0
    leases: set[int] = field(default_factory=set)
    steps: list[tuple[Candidate, Stage]] = field(default_factory=list)
    # (lease, due, stage code) → the bills entering the stage, and the case's amount.
    cases: dict[tuple[int, dt.date, str], list[Candidate]] = field(default_factory=dict)
    case_amounts: dict[tuple[int, dt.date], Decimal] = field(default_factory=dict)
    by_stage: Counter[str] = field(default_factory=Counter)


def window(policy: Policy, today: dt.date) -> tuple[dt.date, dt.date]:
    """Due dates a bill may have to be evaluated on ``today``."""
    lo = today - dt.timedelta(days=max(policy.max_offset, 0) + policy.catch_up_days)
    hi = today - dt.timedelta(days=policy.min_offset)
    return lo, hi


def blocked_leases(organization_id: int, today: dt.date) -> set[int]:
    """Leases whose ladder is paused or promised on ``today``."""
    paused = DunningPause.objects.filter(
        organization_id=organization_id,
        start__lte=today,
        end__gte=today,
        cancelled_at__isnull=True,
    ).values_list("lease_id", flat=True)
    promised = PaymentPromise.objects.filter(
        organization_id=organization_id,
        made_on__lte=today,
        promised_date__gte=today,
        cancelled_at__isnull=True,
    ).values_list("lease_id", flat=True)
    return set(paused) | set(promised)


def candidate_rows(organization_id: int, lo: dt.date, hi: dt.date) -> Any:
    return (
        Bill.objects.filter(
            organization_id=organization_id,
            status=BillStatus.OPEN,
            due_date__gte=lo,
            due_date__lte=hi,
            amount__gt=F("paid_amount"),
        )
        .values_list(
            "id",
            "lease_id",
            "customer_id",
            "project_id",
            "building_id",
            "due_date",
            "amount",
            "paid_amount",
            "lease__status",
            "lease__allows_access_freeze",
            "customer__tags",
        )
        .order_by()
    )


def steps_done(
    organization_id: int, lo: dt.date, hi: dt.date, *, before: dt.date | None = None
) -> dict[int, dict[str, dt.date]]:
    """Stored transitions of bills due in ``[lo, hi]``: bill → stage code → date."""
    qs = DunningStep.objects.filter(organization_id=organization_id, due_date__gte=lo).filter(
        due_date__lte=hi
    )
    if before is not None:
        qs = qs.filter(on_date__lt=before)
    done: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for bill_id, code, on in qs.values_list("bill_id", "stage_code", "on_date").order_by():
        done[bill_id][code] = on
    return done


def evaluate(
    policy: Policy,
    *,
    today: dt.date,
    rows: Any,
    done: dict[int, dict[str, dt.date]],
    blocked: set[int],
) -> Evaluation:
    """Walk every candidate bill through the engine (no database access)."""
    result = Evaluation()
    candidates: list[tuple[Candidate, frozenset[str], dict[str, bool]]] = []
    amounts: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    exempt = policy.exempt_tags
    for row in rows:
        (bill_id, lease_id, customer_id, project_id, building_id, due, amount, paid,
         lease_status, allows_freeze, tags) = row  # fmt: skip
        result.evaluated_bills += 1
        result.leases.add(lease_id)
        if lease_status not in DUNNED_LEASE_STATUSES or lease_id in blocked:
            continue
        tag_set = frozenset(tags or ())
        if tag_set & exempt:
            continue
        outstanding = amount - paid
        amounts[(lease_id, due)] += outstanding
        candidates.append(
            (
                Candidate(
                    bill_id, lease_id, customer_id, project_id, building_id, due, outstanding
                ),
                tag_set,
                {"allows_access_freeze": bool(allows_freeze)},
            )
        )
    result.case_amounts = amounts
    empty: dict[str, dt.date] = {}
    for candidate, tag_set, flags in candidates:
        entered = engine.stages_to_enter(
            policy,
            due=candidate.due,
            today=today,
            done=done.get(candidate.bill_id, empty),
            amount=amounts[(candidate.lease_id, candidate.due)],
            tags=tag_set,
            flags=flags,
        )
        for stage in entered:
            result.steps.append((candidate, stage))
            result.by_stage[stage.code] += 1
            result.cases.setdefault((candidate.lease_id, candidate.due, stage.code), []).append(
                candidate
            )
    return result


def action_count(policy: Policy, evaluation: Evaluation) -> int:
    return sum(len(policy.by_code[code].actions) for (_l, _d, code) in evaluation.cases)


def _write(
    *, organization_id: int, version: PolicyVersion, policy: Policy, today: dt.date,
    evaluation: Evaluation,
) -> int:  # fmt: skip
    now = clock.now()
    steps = [
        DunningStep(
            organization_id=organization_id,
            bill_id=c.bill_id,
            lease_id=c.lease_id,
            due_date=c.due,
            stage_code=stage.code,
            policy_version_id=version.pk,
            on_date=today,
            created_at=now,
        )
        for c, stage in evaluation.steps
    ]
    DunningStep.objects.bulk_create(steps, batch_size=BATCH)
    actions: list[DunningAction] = []
    for (lease_id, due, code), bills in evaluation.cases.items():
        stage = policy.by_code[code]
        first = bills[0]
        anchor = min(b.bill_id for b in bills)
        for j, spec in enumerate(stage.actions):
            actions.append(
                DunningAction(
                    organization_id=organization_id,
                    lease_id=lease_id,
                    customer_id=first.customer_id,
                    project_id=first.project_id,
                    building_id=first.building_id,
                    policy_version_id=version.pk,
                    stage_code=code,
                    kind=spec["kind"],
                    spec=spec,
                    due_date=due,
                    bill_ids=sorted(b.bill_id for b in bills),
                    amount=evaluation.case_amounts[(lease_id, due)],
                    idempotency_key=f"{lease_id}:{due.isoformat()}:{code}:{j}:{anchor}",
                    status=ActionStatus.PENDING,
                    created_on=today,
                    created_at=now,
                )
            )
    DunningAction.objects.bulk_create(actions, batch_size=BATCH)
    return len(actions)


def run_organization(
    organization_id: int, *, today: dt.date, dry_run: bool
) -> tuple[Evaluation, int]:
    """Evaluate one organization; unless ``dry_run``, store what it found. Returns the counts."""
    started = clock.now()
    if dry_run:
        version = policy_published(organization_id) or unsaved_default(organization_id)
        policy = compiled(version)
        lo, hi = window(policy, today)
        evaluation = evaluate(
            policy,
            today=today,
            rows=candidate_rows(organization_id, lo, hi).iterator(chunk_size=BATCH),
            done=steps_done(organization_id, lo, hi),
            blocked=blocked_leases(organization_id, today),
        )
        return evaluation, action_count(policy, evaluation)
    policy_ensure_default(organization_id)
    with transaction.atomic():
        # One run per organization at a time: the second waits here, then finds the first's
        # transitions and creates nothing.
        version = (
            PolicyVersion.objects.select_for_update()
            .filter(organization_id=organization_id, status="published")
            .get()
        )
        policy = compiled(version)
        lo, hi = window(policy, today)
        done = steps_done(organization_id, lo, hi)
        evaluation = evaluate(
            policy,
            today=today,
            rows=candidate_rows(organization_id, lo, hi).iterator(chunk_size=BATCH),
            done=done,
            blocked=blocked_leases(organization_id, today),
        )
        created = _write(
            organization_id=organization_id,
            version=version,
            policy=policy,
            today=today,
            evaluation=evaluation,
        )
        summary = {
            "date": today.isoformat(),
            "policy_version": version.number,
            "evaluated_bills": evaluation.evaluated_bills,
            "evaluated_leases": len(evaluation.leases),
            "actions_created": created,
            "by_stage": dict(sorted(evaluation.by_stage.items())),
        }
        run = DunningRun.objects.create(
            organization_id=organization_id,
            run_date=today,
            summary=summary,
            started_at=started,
            finished_at=clock.now(),
        )
        audit.record(
            action="dunning.run",
            obj=run,
            organization=organization_id,
            actor=None,
            changes=summary,
        )
        if created:
            from anzu.billing.dunning import tasks

            transaction.on_commit(lambda: tasks.execute_actions())
    return evaluation, created


def dunning_run(
    *, on: dt.date, dry_run: bool = False, organization_id: int | None = None
) -> dict[str, Any]:
    """Run (or dry-run) the ladder for ``on`` over every organization (or one).

    Returns ``{"date", "evaluated_bills", "evaluated_leases", "actions_created", "by_stage"}``
    where ``by_stage`` counts the bills entering each stage on the date. With ``dry_run`` the
    same figures are what the run would create; nothing is written.
    """
    org_ids = (
        [organization_id]
        if organization_id is not None
        else list(Organization.objects.order_by("id").values_list("id", flat=True))
    )
    total_bills = total_leases = total_actions = 0
    by_stage: Counter[str] = Counter()
    for org_id in org_ids:
        evaluation, created = run_organization(org_id, today=on, dry_run=dry_run)
        total_bills += evaluation.evaluated_bills
        total_leases += len(evaluation.leases)
        total_actions += created
        by_stage.update(evaluation.by_stage)
    summary = {
        "date": on.isoformat(),
        "dry_run": dry_run,
        "evaluated_bills": total_bills,
        "evaluated_leases": total_leases,
        "actions_created": total_actions,
        "by_stage": dict(sorted(by_stage.items())),
    }
    return summary
