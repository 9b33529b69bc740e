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
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction

from anzu.billing.dunning import engine
from anzu.billing.dunning.choices import ActionStatus
from anzu.billing.dunning.models import (
    BillWake,
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
from anzu.common import clock
from anzu.common.db import insert_rows
from anzu.core import audit
from anzu.core.models import Organization
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Customer

DUNNED_LEASE_STATUSES = frozenset(
    {LeaseStatus.ACTIVE.value, LeaseStatus.TERMINATED.value, LeaseStatus.EXPIRED.value}
)
# Bills of other leases (draft, awaiting approval, void) are not chased.
DUNNED_SQL = ", ".join(f"'{status}'" for status in sorted(DUNNED_LEASE_STATUSES))
NOT_DUNNED_SQL = ", ".join(
    f"'{status}'" for status in sorted(set(LeaseStatus.values) - DUNNED_LEASE_STATUSES)
)
BATCH = 5000
# How far before the previous run's start an incremental read looks for changed bills and leases.
WAKE_MARGIN = dt.timedelta(hours=6)
# The format of the wake rows (recorded in the run's summary): an incremental read trusts only
# rows written in this format, so a run after an upgrade reads the whole window once.
WAKE_FORMAT = 2


class Candidate(NamedTuple):
    """An open bill as the engine sees it."""

    bill_id: int
    lease_id: int
    customer_id: int
    project_id: int
    building_id: int
    due: dt.date
    outstanding: Decimal
    allows_freeze: bool


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
    # bill → the next day a run must look at it (None: never again in its window), the lease's
    # freeze flag and the stages entered after today's run (JSON), kept in its wake row.
    wakes: dict[int, tuple[dt.date | None, bool, str]] = field(default_factory=dict)
    full: bool = True  # the whole window was read (not only what changed since the last run)
    # Bills read from their wake rows (due today or earlier: the run deletes those rows anyway).
    woken: set[int] = field(default_factory=set)
    window_to: dt.date | None = None


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


class _Convert:
    """Values as the database driver returns them → ``date`` and ``Decimal`` (cached)."""

    def __init__(self) -> None:
        self.dates: dict[Any, dt.date] = {}
        self.amounts: dict[Any, Decimal] = {}

    def date(self, value: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        parsed = self.dates.get(value)
        if parsed is None:
            parsed = self.dates[value] = dt.date.fromisoformat(value)
        return parsed

    def amount(self, value: Any) -> Decimal:
        if isinstance(value, Decimal):
            return value
        parsed = self.amounts.get(value)
        if parsed is None:
            # SQLite computes the difference of two NUMERIC columns as a float.
            parsed = self.amounts[value] = Decimal(f"{value:.2f}")
        return parsed


# The open, unpaid bills due in the window with their lease's flag, each with the transitions it
# already made (one row per transition, or one row with NULLs). ``{bills}`` is the bill table,
# or the bills that may have changed since the last run (driving the join: CROSS JOIN keeps
# SQLite from scanning the window; PostgreSQL plans it as an ordinary join).
CANDIDATES_SQL = """
    SELECT b.id, b.lease_id, b.customer_id, b.project_id, b.building_id, b.due_date,
           b.amount - b.paid_amount, l.allows_access_freeze, s.stage_code, s.on_date
    FROM {bills}
    JOIN leasing_lease l ON l.id = b.lease_id
    LEFT JOIN dunning_dunningstep s
      ON s.bill_id = b.id AND s.due_date >= %(lo)s AND s.due_date <= %(hi)s
    WHERE b.organization_id = %(org)s AND b.status = 'open' AND b.due_date >= %(lo)s
      AND b.due_date <= %(hi)s AND b.amount > b.paid_amount {only}
      AND l.status IN ({dunned})
"""
ALL_BILLS = ("billing_bill b", "")

# After a run of the same policy version, only these bills can have something to enter: the
# bills due to wake (``BillWake``), the bills that entered the window since (due after the last
# run's window), the open bills changed since (paid in part, reopened, created late), and the
# bills of leases changed since (a lease flag or status). The last three are read in full here:
# the new ones straight from the window's index, the changed ones (due in the last run's
# window, so no bill comes twice) each part through its own index.
NEW_BILLS = ("billing_bill b", "AND b.due_date > %(hi_prev)s")
CHANGED_BILLS = (
    """(
        SELECT u.id FROM billing_bill u
        WHERE u.organization_id = %(org)s AND u.status = 'open' AND u.updated_at > %(since)s
        UNION
        SELECT lb.id FROM leasing_lease cl
        JOIN billing_bill lb ON lb.lease_id = cl.id
        WHERE cl.organization_id = %(org)s AND cl.updated_at > %(since)s
          AND lb.status = 'open'
    ) c CROSS JOIN billing_bill b""",
    "AND b.id = c.id AND b.due_date <= %(hi_prev)s",
)

# The bills due to wake that are none of the above: neither they nor their lease changed since
# the last run, so their wake row's lease flag and stages still hold, and neither the lease nor
# the transitions need reading. The lease must still be one whose bills are chased (a status
# change stamps the lease, so a lease that stopped being one long ago is excluded here).
_WOKEN_FILTER = f"""
      AND b.status = 'open' AND b.due_date >= %(lo)s AND b.due_date <= %(hi)s
      AND b.amount > b.paid_amount AND b.due_date <= %(hi_prev)s
      AND b.updated_at <= %(since)s
      AND b.lease_id NOT IN (
        SELECT cl.id FROM leasing_lease cl
        WHERE cl.organization_id = %(org)s AND cl.updated_at > %(since)s)
      AND b.lease_id NOT IN (
        SELECT xl.id FROM leasing_lease xl
        WHERE xl.organization_id = %(org)s AND xl.status IN ({NOT_DUNNED_SQL}))
"""
_BILL_COLUMNS = (
    "b.id, b.lease_id, b.customer_id, b.project_id, b.building_id, b.due_date, "
    "b.amount - b.paid_amount"
)
# SQLite: one query, driven by the wake rows (CROSS JOIN keeps that order).
WOKEN_SQL = f"""
    SELECT {_BILL_COLUMNS}, w.allows_freeze, w.done
    FROM dunning_billwake w CROSS JOIN billing_bill b
    WHERE w.organization_id = %(org)s AND w.wake_on <= %(today)s AND b.id = w.bill_id
    {_WOKEN_FILTER}
"""
# PostgreSQL: the wake rows first, then their bills by primary key. (As one join the planner,
# going by the statistics of a table rewritten every day, may hash the whole window's bills
# even when few wake.)
WOKEN_ROWS_SQL = """
    SELECT w.bill_id, w.allows_freeze, w.done FROM dunning_billwake w
    WHERE w.organization_id = %(org)s AND w.wake_on <= %(today)s
"""
WOKEN_BILLS_SQL = (
    f"SELECT {_BILL_COLUMNS} FROM billing_bill b WHERE b.id = ANY(%(ids)s) {_WOKEN_FILTER}"
)


def _woken(cursor: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The bills due to wake that neither changed nor whose lease changed since the last run,
    with their wake rows' lease flag and stages."""
    if connection.vendor != "postgresql":
        cursor.execute(WOKEN_SQL, params)
        return list(cursor.fetchall())
    cursor.execute(WOKEN_ROWS_SQL, params)
    kept = {bill_id: (allows, done) for bill_id, allows, done in cursor.fetchall()}
    if not kept:
        return []
    cursor.execute(WOKEN_BILLS_SQL, {**params, "ids": list(kept)})
    return [(*row, *kept[row[0]]) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Since:
    """What the previous run of the same policy version covered: the incremental read's bounds."""

    window_to: dt.date
    changed_after: dt.datetime


def candidate_rows(
    organization_id: int, lo: dt.date, hi: dt.date, *, today: dt.date, since: Since | None = None
) -> tuple[list[Candidate], dict[int, dict[str, dt.date]], set[int]]:
    """Open, unpaid bills due in ``[lo, hi]``, their stored transitions, and which of them were
    read from their wake rows.

    With ``since`` only the bills that may have changed or woken since the previous run: the
    changed ones read in full, the others from their wake rows (two queries). A bill without
    transitions comes once (with NULLs); a bill with transitions once per transition, and is a
    candidate the first time.
    """
    candidates: list[Candidate] = []
    done: dict[int, dict[str, dt.date]] = {}
    params: dict[str, Any] = {"org": organization_id, "lo": lo, "hi": hi}
    reads = [ALL_BILLS]
    if since is not None:
        reads = [NEW_BILLS, CHANGED_BILLS]
        params.update(
            today=today,
            hi_prev=since.window_to,
            since=connection.ops.adapt_datetimefield_value(since.changed_after),
        )
    rows: list[Any] = []
    with connection.cursor() as cursor:
        for bills, only in reads:
            sql = CANDIDATES_SQL.format(bills=bills, only=only, dunned=DUNNED_SQL)
            cursor.execute(sql, params)
            rows.extend(cursor.fetchall())
        woken = _woken(cursor, params) if since is not None else []
    native = connection.vendor == "postgresql"  # dates and Decimals already
    convert = _Convert()
    for b, le, c, p, bu, d, o, allows, code, on in rows:
        if not native:
            d, o, allows = convert.date(d), convert.amount(o), bool(allows)
            on = convert.date(on) if on is not None else None
        if code is None:
            candidates.append(Candidate(b, le, c, p, bu, d, o, allows))
            continue
        seen = done.get(b)
        if seen is None:
            candidates.append(Candidate(b, le, c, p, bu, d, o, allows))
            done[b] = {code: on}
        else:
            seen[code] = on
    stages: dict[str, dict[str, dt.date]] = {}
    for b, le, c, p, bu, d, o, allows, entered in woken:
        if not native:
            d, o, allows = convert.date(d), convert.amount(o), bool(allows)
        candidates.append(Candidate(b, le, c, p, bu, d, o, allows))
        if entered != "{}":
            parsed = stages.get(entered)
            if parsed is None:
                parsed = stages[entered] = {
                    code: dt.date.fromisoformat(on) for code, on in json.loads(entered).items()
                }
            done[b] = parsed  # shared between bills: read, never changed
    # In due-date order whatever the plan: the actions are numbered, and worked, in this order.
    candidates.sort(key=lambda c: (c.due, c.bill_id))
    return candidates, done, {row[0] for row in woken}


def _stages_json(done: dict[str, dt.date]) -> str:
    """A bill's stages entered, as kept in its wake row."""
    return json.dumps({code: on.isoformat() for code, on in sorted(done.items())})


def steps_done(
    organization_id: int, lo: dt.date, hi: dt.date, *, before: dt.date | None = None
) -> dict[int, dict[str, dt.date]]:
    """Stored transitions of every bill due in ``[lo, hi]`` (before a date): bill → code → date."""
    qs = DunningStep.objects.filter(organization_id=organization_id, due_date__gte=lo).filter(
        due_date__lte=hi
    )
    if before is not None:
        qs = qs.filter(on_date__lt=before)
    done: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for bill_id, code, on in qs.values_list("bill_id", "stage_code", "on_date").order_by():
        done[bill_id][code] = on
    return done


def tagged_customers(organization_id: int) -> dict[int, frozenset[str]]:
    """Customers that carry tags (few): id → tags."""
    return {
        pk: frozenset(tags or ())
        for pk, tags in Customer.objects.filter(organization_id=organization_id)
        .exclude(tags=[])
        .values_list("id", "tags")
    }


def evaluate(
    policy: Policy,
    *,
    today: dt.date,
    rows: list[Candidate],
    done: dict[int, dict[str, dt.date]],
    blocked: set[int],
    tags: dict[int, frozenset[str]] | None = None,
) -> Evaluation:
    """Walk every candidate bill through the engine, and find when each must be looked at again.

    A paused, promised or exempt bill is looked at again by every run; any other bill on the
    first day it may enter a stage after today's (:func:`~.engine.next_wake`).
    """
    result = Evaluation()
    tags = tags or {}
    unchanged_memo: dict[frozenset[tuple[str, dt.date]], str] = {}

    def _unchanged(candidate: Candidate) -> str:
        """The stages of a bill that enters none today, as JSON."""
        bill_done = done.get(candidate.bill_id) or {}
        key = frozenset(bill_done.items())
        text = unchanged_memo.get(key)
        if text is None:
            text = unchanged_memo[key] = _stages_json(bill_done)
        return text

    no_tags: frozenset[str] = frozenset()
    candidates: list[tuple[Candidate, frozenset[str]]] = []
    amounts: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    exempt = policy.exempt_tags
    wakes = result.wakes
    for candidate in rows:
        result.evaluated_bills += 1
        result.leases.add(candidate.lease_id)
        if candidate.lease_id in blocked:
            wakes[candidate.bill_id] = (today, candidate.allows_freeze, _unchanged(candidate))
            continue
        tag_set = tags.get(candidate.customer_id, no_tags)
        if tag_set & exempt:
            wakes[candidate.bill_id] = (today, candidate.allows_freeze, _unchanged(candidate))
            continue
        amounts[(candidate.lease_id, candidate.due)] += candidate.outstanding
        candidates.append((candidate, tag_set))
    result.case_amounts = amounts
    empty: dict[str, dt.date] = {}
    # Most bills share their situation with thousands of others (same due date, same stages
    # done, no tags): the engine's answers are memoized on everything they depend on. The
    # amount enters only through the stages' minimums, so its key is which minimums it reaches.
    minimums = sorted({s.min_overdue for s in policy.stages})
    single_minimum = len(minimums) == 1
    memo: dict[tuple[Any, ...], tuple[list[Stage], dt.date | None, str]] = {}
    last_offset = dt.timedelta(days=max(policy.max_offset, 0) + policy.catch_up_days)

    for candidate, tag_set in candidates:
        bill_done = done.get(candidate.bill_id, empty)
        amount = amounts[(candidate.lease_id, candidate.due)]
        if amount <= 0:
            reached = -1
        elif single_minimum:
            reached = 1 if amount >= minimums[0] else 0
        else:
            reached = sum(1 for m in minimums if amount >= m)
        flags = {"allows_access_freeze": candidate.allows_freeze}
        key = (
            candidate.due,
            frozenset(bill_done.items()) if bill_done else None,
            reached,
            tag_set,
            candidate.allows_freeze,
        )
        answer = memo.get(key)
        if answer is None:
            entered = engine.stages_to_enter(
                policy,
                due=candidate.due,
                today=today,
                done=bill_done,
                amount=amount,
                tags=tag_set,
                flags=flags,
            )
            after = {**bill_done, **{stage.code: today for stage in entered}}
            wake = engine.next_wake(
                policy,
                due=candidate.due,
                after=today,
                done=after,
                flags=flags,
                last_day=candidate.due + last_offset,
            )
            answer = memo[key] = (entered, wake, _stages_json(after))
        entered, wake, stages_json = answer
        wakes[candidate.bill_id] = (wake, candidate.allows_freeze, stages_json)
        for stage in entered:
            result.steps.append((candidate, stage))
            result.by_stage[stage.code] += 1
            result.cases.setdefault((candidate.lease_id, candidate.due, stage.code), []).append(
                candidate
            )
    return result


def action_count(policy: Policy, evaluation: Evaluation) -> int:
    return sum(len(policy.by_code[code].actions) for (_l, _d, code) in evaluation.cases)


STEP_COLUMNS = (
    "organization_id", "bill_id", "lease_id", "due_date", "stage_code", "policy_version_id",
    "on_date", "created_at",
)  # fmt: skip
ACTION_COLUMNS = (
    "organization_id", "lease_id", "customer_id", "project_id", "building_id",
    "policy_version_id", "stage_code", "kind", "spec", "due_date", "bill_ids", "amount",
    "idempotency_key", "status", "attempts", "result", "error", "created_on", "created_at",
)  # fmt: skip


def _write(
    *, organization_id: int, version: PolicyVersion, policy: Policy, today: dt.date,
    evaluation: Evaluation,
) -> int:  # fmt: skip
    """Insert the transitions and actions (COPY on PostgreSQL, executemany on SQLite)."""
    now = clock.now()
    version_id = version.pk
    insert_rows(
        DunningStep._meta.db_table,
        STEP_COLUMNS,
        (
            (organization_id, c.bill_id, c.lease_id, c.due, stage.code, version_id, today, now)
            for c, stage in evaluation.steps
        ),
    )
    pending = ActionStatus.PENDING.value
    # JSON columns are written as JSON text, serialized once per stage action.
    specs = {
        code: [json.dumps(spec, ensure_ascii=False) for spec in stage.actions]
        for code, stage in policy.by_code.items()
    }
    rows: list[tuple[Any, ...]] = []
    for (lease_id, due, code), bills in evaluation.cases.items():
        first = bills[0]
        ids = sorted(b.bill_id for b in bills)
        ids_json = f"[{','.join(map(str, ids))}]"  # JSON of a list of ints, without json.dumps
        amount = evaluation.case_amounts[(lease_id, due)]
        day = due.isoformat()
        for j, spec in enumerate(policy.by_code[code].actions):
            rows.append(
                (
                    organization_id,
                    lease_id,
                    first.customer_id,
                    first.project_id,
                    first.building_id,
                    version_id,
                    code,
                    spec["kind"],
                    specs[code][j],
                    due,
                    ids_json,
                    amount,
                    f"{lease_id}:{day}:{code}:{j}:{ids[0]}",
                    pending,
                    0,
                    "{}",
                    "",
                    today,
                    now,
                )
            )
    created = insert_rows(DunningAction._meta.db_table, ACTION_COLUMNS, rows)
    _write_wakes(
        organization_id,
        today=today,
        wakes=evaluation.wakes,
        full=evaluation.full,
        woken=evaluation.woken,
    )
    return created


def _write_wakes(
    organization_id: int,
    *,
    today: dt.date,
    wakes: dict[int, tuple[dt.date | None, bool, str]],
    full: bool,
    woken: set[int],
) -> None:
    """Replace the wake rows of the evaluated bills (all the organization's after a full read).

    Rows due today or earlier that were not rewritten belong to bills no longer open, unpaid
    or in the window: they go too. The ``woken`` bills' rows are among those, so only the other
    evaluated bills' rows are looked up one by one.
    """
    table = BillWake._meta.db_table
    with connection.cursor() as cursor:
        if full:
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization_id])
        else:
            cursor.execute(
                f"DELETE FROM {table} WHERE organization_id = %s AND wake_on <= %s",
                [organization_id, today],
            )
            later = [pk for pk in wakes if pk not in woken]
            if connection.vendor == "postgresql":
                cursor.execute(f"DELETE FROM {table} WHERE bill_id = ANY(%s)", [later])
            else:
                for start in range(0, len(later), 900):
                    chunk = later[start : start + 900]
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(f"DELETE FROM {table} WHERE bill_id IN ({marks})", chunk)
    insert_rows(
        table,
        ("bill_id", "organization_id", "wake_on", "allows_freeze", "done"),
        (
            (pk, organization_id, day, allows, stages)
            for pk, (day, allows, stages) in wakes.items()
            if day is not None
        ),
    )


def previous_run(organization_id: int, version: PolicyVersion, today: dt.date) -> Since | None:
    """The bounds of an incremental read, when the last run allows one (else a full read).

    It does when the organization's last run used the same policy version, recorded its window,
    wrote its wake rows in the current format (``WAKE_FORMAT``) and was for ``today`` or
    earlier. Changes are read from ``WAKE_MARGIN`` before that run
    started: a bill written by a transaction still open when the run read the ledger is seen
    by the next run.
    """
    if version.pk is None:
        return None
    last = (
        DunningRun.objects.filter(organization_id=organization_id, dry_run=False)
        .order_by("-started_at", "-id")
        .first()
    )
    if last is None or last.run_date > today:
        return None
    summary = last.summary or {}
    if summary.get("policy_version") != version.number or not summary.get("window_to"):
        return None
    if summary.get("wakes") != WAKE_FORMAT:
        return None
    return Since(
        window_to=dt.date.fromisoformat(summary["window_to"]),
        changed_after=last.started_at - WAKE_MARGIN,
    )


def _evaluate_organization(
    organization_id: int, version: PolicyVersion, policy: Policy, today: dt.date
) -> Evaluation:
    """Read the organization's candidates, transitions and blocks; walk them (no writes)."""
    lo, hi = window(policy, today)
    since = previous_run(organization_id, version, today)
    rows, done, woken = candidate_rows(organization_id, lo, hi, today=today, since=since)
    evaluation = evaluate(
        policy,
        today=today,
        rows=rows,
        done=done,
        blocked=blocked_leases(organization_id, today),
        tags=tagged_customers(organization_id),
    )
    evaluation.full = since is None
    evaluation.woken = woken
    evaluation.window_to = hi
    return evaluation


def run_organization(
    organization_id: int, *, today: dt.date, dry_run: bool
) -> tuple[Evaluation, int]:
    """Evaluate one organization; unless ``dry_run``, store what it found. Returns the counts."""
    started = clock.now()
    if dry_run:
        version = policy_published(organization_id) or unsaved_default(organization_id)
        policy = compiled(version)
        evaluation = _evaluate_organization(organization_id, version, policy, today)
        return evaluation, action_count(policy, evaluation)
    policy_ensure_default(organization_id)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The run's queries are planned to read what they need through indexes; compiling
            # them to machine code (JIT, on by default for costly plans) costs more than it saves.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        # One run per organization at a time: the second waits here, then finds the first's
        # transitions and creates nothing.
        version = (
            PolicyVersion.objects.select_for_update()
            .filter(organization_id=organization_id, status="published")
            .get()
        )
        policy = compiled(version)
        evaluation = _evaluate_organization(organization_id, version, policy, today)
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
            "read": "full" if evaluation.full else "changed",
            "window_to": evaluation.window_to.isoformat() if evaluation.window_to else None,
            "wakes": WAKE_FORMAT,
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
