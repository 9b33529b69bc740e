"""Demo collections: bills, payments, dunning history, call tasks, freezes and settlements.

Runs inside the seeding transaction, after the leases exist, and works like the real system
would have over the last weeks:

1. **Go-live.** The demo operator started billing in Anzu on :func:`billing_start` (the first of
   a month a few months back); periods that started before it were billed before Anzu. A
   :class:`~anzu.billing.models.BillingCursor` per lease that started earlier points at its
   first period starting on or after that day (written set-based), so the generation run
   bills only from go-live. Leases starting after go-live also get their deposit bill.
2. **Bills** come from :func:`anzu.billing.generation.bills_generate` itself. The first call
   takes the go-live day as its late-fee date, so no fee accrues on bills nobody has had the
   chance to pay yet.
3. **Payments** are written set-based below the billing services (one payment and one
   allocation per paid bill, a deposit-ledger entry for a paid deposit), with the balances the
   services would have left: the allocation equals the bill's amount, the bill is ``paid`` with
   ``paid_amount = amount``, the payment has no unallocated credit. Deposits are paid at
   signing; rent bills on time or a few days early, 8 % of them 1–6 days late; about one in
   ten active leases whose last bill fell due in the last 13 days has not paid it, and a few
   whose bill is 14–40 days old (OLD_DELINQUENT_MAX).
4. **Dunning** replays the daily run for the last weeks (:class:`Scale`)
   (:func:`anzu.billing.dunning.run.dunning_run`), each day followed by the execution of that
   day's actions (:func:`anzu.billing.dunning.executor.action_execute`) and then by the late
   payments received that day, with what the payment hook would do (open call tasks and freeze
   requests of bills now paid are cancelled) — so a tenant who paid late received the
   reminders and the call first. On-time payments are settled before the first replayed run.
   Signed documents are slow: at most ``Scale.documents`` are executed, and messages
   :data:`NOTIFY_PER_DAY` a day; the others stay pending for the worker of ``anzu serve``.
   Before the last day the generation runs again with today's date (late fees).
5. **People at work today**: some old overdue cases are paused (a disputed bill, a hardship
   case) so that only :data:`SETTLEMENT_CASES` reach the move-out settlement stage; customer
   service has worked part of the call queue (outcomes, promises to pay); the tenant login has
   a utilities charge open in the portal.

Per-row services (action execution, pauses, calls) are bounded by absolute caps, so a large
benchmark seed stays fast: its ledger is complete, its queue partly executed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q

from anzu.billing import services as billing_services
from anzu.billing.choices import BillKind, BillStatus, DepositEntryKind, PaymentChannel
from anzu.billing.dunning import executor
from anzu.billing.dunning import services as dunning_services
from anzu.billing.dunning.choices import (
    ActionKind,
    ActionStatus,
    CallOutcome,
    CallStatus,
    FreezeStatus,
)
from anzu.billing.dunning.models import CallTask, DunningAction, FreezeRequest
from anzu.billing.dunning.run import dunning_run
from anzu.billing.generation import BILLED_LEASE_STATUSES, HORIZON_DAYS, bills_generate
from anzu.billing.models import Allocation, Bill, BillingCursor, DepositEntry, Payment
from anzu.billing.schedule import add_months
from anzu.common import clock
from anzu.core.choices import Role
from anzu.core.models import Organization, User
from anzu.demo.bulk import allocate_ids, insert_rows
from anzu.demo.plan import weighted
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease
from anzu.portfolio.models import Unit

LARGE_SEED = 20_000  # above this many units a seed is a benchmark: see Scale
LATE_SHARE = 0.08  # bills paid a few days late (LATE_DAYS); the others on time or early
LATE_DAYS: tuple[tuple[int, int], ...] = ((1, 30), (2, 25), (3, 18), (4, 12), (5, 8), (6, 7))
YOUNG_DELINQUENT_SHARE = 0.10  # active leases whose last bill (1–13 days overdue) is unpaid
OLD_DELINQUENT_SHARE = 0.04  # … whose last bill is 14–40 days overdue
OLD_DELINQUENT_MAX = 14  # old cases at most: all but SETTLEMENT_CASES are paused
SETTLEMENT_CASES = 2
FREEZE_CASES = 2  # delinquent leases, 8+ days overdue, whose contract allows an access freeze
MAX_OVERDUE_DAYS = 40
DOCUMENTS_PER_STAGE = 2  # of Scale.documents: two formal notices, two lawyer letters
NOTIFY_PER_DAY = 3
CALLS_WORKED_MAX = 12
TENANT_UTILITIES = Decimal("186.40")

CHANNELS: tuple[tuple[str, int], ...] = (
    (PaymentChannel.WECHAT_PAY.value, 44),
    (PaymentChannel.ALIPAY.value, 24),
    (PaymentChannel.BANK_TRANSFER.value, 22),
    (PaymentChannel.UNIONPAY_DEBIT.value, 7),
    (PaymentChannel.CASH.value, 3),
)
PAUSE_REASONS = (
    "租客对上期水电分摊有异议，核实中，暂停催缴",
    "租客住院治疗，家属申请缓缴",
    "企业客户付款审批流程中，已提供付款计划",
    "维修纠纷处理中，待工程部结论",
)
CALL_OUTCOMES = (
    (CallOutcome.FORGOT.value, "租客表示忘记缴费，当天会在公众号补缴。", True),
    (CallOutcome.CASH_FLOW.value, "工资下周发放，承诺发薪后缴清。", True),
    (CallOutcome.UNREACHABLE.value, "两次拨打无人接听，已发短信。", False),
    (CallOutcome.DISSATISFIED.value, "对空调维修进度不满，已转维修主管跟进。", False),
)


@dataclass(frozen=True)
class Scale:
    """How much collections history a seed gets.

    A demo (up to LARGE_SEED units) bills every building from go-live, three months back, and
    replays thirty days of dunning. A benchmark-sized seed keeps the same shape on a slice: the
    first buildings up to ``billed_units`` units went live a month back; the other buildings go
    live with their first period after the generation horizon (their cursors point at it, so the
    nightly generation run bills them from then on); a week of dunning is replayed; fewer
    actions are executed. Per-row work stays bounded whatever the size.
    """

    billed_months: int  # go-live: the first of the month this many months back
    replay_days: int  # daily dunning runs replayed, the last one today
    actions_max: int  # actions executed by the seed; the rest stays queued for the worker
    documents: int  # signed documents among them (slow: a PDF and a signature each)
    billed_units: int | None  # None: every building


DEMO_SCALE = Scale(billed_months=3, replay_days=30, actions_max=600, documents=4, billed_units=None)
LARGE_SCALE = Scale(billed_months=1, replay_days=7, actions_max=80, documents=0, billed_units=4_000)


def scale_for(units: int) -> Scale:
    return DEMO_SCALE if units <= LARGE_SEED else LARGE_SCALE


def billing_start(today: dt.date, units: int) -> dt.date:
    """The demo's go-live day: bills exist for periods starting on or after it."""
    return add_months(today.replace(day=1), -scale_for(units).billed_months)


@dataclass
class _Paid:
    """Payments decided in memory: rows to insert and the bills they settle, by day."""

    payments: list[tuple[Any, ...]] = field(default_factory=list)
    allocations: list[tuple[Any, ...]] = field(default_factory=list)
    deposits: list[tuple[Any, ...]] = field(default_factory=list)
    by_day: dict[dt.date, list[tuple[int, dt.datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _aware(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=clock.business_tz()) + dt.timedelta(
        minutes=minutes
    )


# Go-live ------------------------------------------------------------------------------------


def _first_period_from(start: dt.date, pay_months: int, day: dt.date) -> int:
    """The index of a lease's first rent period starting on or after ``day``."""
    months = max(0, (day.year - start.year) * 12 + day.month - start.month)
    k = months // pay_months
    while k > 0 and add_months(start, (k - 1) * pay_months) >= day:
        k -= 1
    while add_months(start, k * pay_months) < day:
        k += 1
    return k


def _billed_buildings(org: Organization, units: int | None) -> set[int] | None:
    """The first buildings (by id) holding ``units`` units, or None for all."""
    if units is None:
        return None
    chosen: set[int] = set()
    total = 0
    for building_id, count in (
        Unit.objects.filter(organization=org)
        .values("building_id")
        .annotate(n=Count("id"))
        .order_by("building_id")
        .values_list("building_id", "n")
    ):
        if total >= units:
            break
        chosen.add(building_id)
        total += count
    return chosen


def write_cursors(
    org: Organization, go_live: dt.date, *, after: dt.date, billed: set[int] | None
) -> int:
    """Cursors for leases that started before go-live: bill them from go-live on (leases
    outside ``billed`` buildings: from the first period starting after ``after``, the end of
    the generation horizon, so the nightly run bills them when it gets there). Leases that
    ended before go-live get an empty cursor in one INSERT … SELECT (nothing left to bill; the
    index is not read then)."""
    leases = Lease.objects.filter(organization=org, status__in=BILLED_LEASE_STATUSES)
    ended = leases.filter(occupied_until__lt=go_live)
    with connection.cursor() as cur:
        sql, params = ended.order_by().values_list("id").query.sql_with_params()
        cur.execute(
            "INSERT INTO billing_billingcursor (lease_id, next_rent_index, next_rent_start) "
            f"SELECT U.id, 0, NULL FROM ({sql}) U",
            params,
        )
        count = cur.rowcount
    rows = []
    for lease_id, building_id, start, last_day, pay_months in (
        leases.filter(occupied_until__gte=go_live)
        .filter(Q(start_date__lt=go_live) | (~Q(building_id__in=billed) if billed else Q(pk=0)))
        .order_by("id")
        .values_list("id", "building_id", "start_date", "occupied_until", "pay_months")
    ):
        months = max(1, pay_months)
        live = go_live if billed is None or building_id in billed else after
        k = _first_period_from(start, months, live)
        next_start = add_months(start, k * months)
        rows.append((lease_id, k, next_start if next_start <= last_day else None))
    return count + insert_rows(
        BillingCursor, ("lease_id", "next_rent_index", "next_rent_start"), rows
    )


# Payments -----------------------------------------------------------------------------------


def _decide_payments(
    rng: random.Random,
    *,
    org: Organization,
    today: dt.date,
    tenant_customer_id: int,
) -> tuple[_Paid, dict[int, dt.date]]:
    """Which bills were paid, when and how; returns the rows and the delinquent leases (lease →
    due date of its oldest unpaid bill)."""
    bills = list(
        Bill.objects.filter(
            organization=org,
            status=BillStatus.OPEN,
            kind__in=(BillKind.RENT, BillKind.DEPOSIT),
            amount__gt=0,
            due_date__lt=today,
        )
        .order_by("lease_id", "due_date", "kind", "id")
        .values_list(
            "id", "lease_id", "customer_id", "project_id", "building_id", "kind", "due_date",
            "amount", "lease__status", "customer__name",
        )
    )  # fmt: skip
    # Delinquent leases: an active lease whose last rent bill fell due 1–40 days ago may have
    # stopped paying (old cases are capped; see OLD_DELINQUENT_MAX).
    last_due: dict[int, dt.date] = {}
    for row in bills:
        if row[5] == BillKind.RENT and row[8] == LeaseStatus.ACTIVE:
            last_due[row[1]] = row[6]
    stopped: dict[int, dt.date] = {}
    old = 0
    for lease_id, due in last_due.items():
        age = (today - due).days
        if age > MAX_OVERDUE_DAYS:
            continue
        draw = rng.random()
        if age < 14 and draw < YOUNG_DELINQUENT_SHARE:
            stopped[lease_id] = due
        elif age >= 14 and draw < OLD_DELINQUENT_SHARE and old < OLD_DELINQUENT_MAX:
            stopped[lease_id] = due
            old += 1
    pick_channel = weighted(rng, CHANNELS)
    paid = _Paid()
    payment_ids = allocate_ids(Payment, len(bills))
    org_id = org.pk
    pick_delay = weighted(rng, LATE_DAYS)
    used = 0
    for row in bills:
        bill_id, lease_id, customer_id, project_id, building_id, kind, due, amount = row[:8]
        name = row[9]
        late = False
        if kind == BillKind.DEPOSIT:
            day = due  # the deposit is paid at signing
        else:
            if lease_id in stopped and due >= stopped[lease_id]:
                continue
            if rng.random() < LATE_SHARE and tenant_customer_id != customer_id:
                day = due + dt.timedelta(days=pick_delay())
                late = True
            else:
                day = due - dt.timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3, 5)))
        if day >= today:
            continue  # not paid yet
        received = _aware(day, rng.randint(8 * 60, 22 * 60 + 30))
        channel = pick_channel()
        pk = payment_ids[used]
        used += 1
        paid.payments.append(
            (
                pk, org_id, customer_id, lease_id, project_id, building_id, channel, amount,
                Decimal("0.00"), received, _reference(channel, day, pk), name,
                "押金" if kind == BillKind.DEPOSIT else "", received,
            )
        )  # fmt: skip
        paid.allocations.append((pk, bill_id, amount, received))
        if kind == BillKind.DEPOSIT:
            paid.deposits.append(
                (org_id, lease_id, DepositEntryKind.HELD.value, amount, bill_id, pk, received)
            )
        # On-time payments are settled before the replayed dunning runs (they would only have
        # received reminders); late ones on the day they came in, after that day's run.
        paid.by_day[day if late else dt.date.min].append((bill_id, received))
    return paid, stopped


def _reference(channel: str, day: dt.date, pk: int) -> str:
    """A transaction number shaped like the channel's own."""
    if channel == PaymentChannel.WECHAT_PAY:
        return f"4200{day:%Y%m%d}{pk:016d}"
    if channel == PaymentChannel.ALIPAY:
        return f"{day:%Y%m%d}2200{pk:016d}"
    if channel == PaymentChannel.BANK_TRANSFER:
        return f"BK{day:%Y%m%d}{pk:010d}"
    if channel == PaymentChannel.UNIONPAY_DEBIT:
        return f"UP{day:%Y%m%d}{pk:010d}"
    return f"XJ{day:%Y%m%d}{pk:06d}"


def _write_payments(paid: _Paid) -> None:
    insert_rows(
        Payment,
        (
            "id", "organization_id", "customer_id", "lease_id", "project_id", "building_id",
            "channel", "amount", "unallocated", "received_at", "reference", "payer_name", "note",
            "created_at",
        ),
        paid.payments,
    )  # fmt: skip
    insert_rows(Allocation, ("payment_id", "bill_id", "amount", "created_at"), paid.allocations)
    insert_rows(
        DepositEntry,
        ("organization_id", "lease_id", "kind", "amount", "bill_id", "payment_id", "created_at"),
        paid.deposits,
    )


def _settle(bills: list[tuple[int, dt.datetime]]) -> int:
    """Mark bills paid (their allocation, written before, covers the amount)."""
    if not bills:
        return 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "UPDATE billing_bill b SET paid_amount = b.amount, status = 'paid', "
                "updated_at = s.at FROM unnest(%s::bigint[], %s::timestamptz[]) AS s(id, at) "
                "WHERE b.id = s.id",
                [[b for b, _at in bills], [at for _b, at in bills]],
            )
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cur.executemany(
                "UPDATE billing_bill SET paid_amount = amount, status = 'paid', updated_at = %s "
                "WHERE id = %s",
                [(adapt(at), b) for b, at in bills],
            )
    return len(bills)


# Dunning ------------------------------------------------------------------------------------


def _allow_freezes(stopped: dict[int, dt.date], *, today: dt.date) -> None:
    """Make sure a few delinquent leases past D+7 carry the access-freeze clause (the seeded
    contracts have it at random), so the freeze stage has cases even in a small demo."""
    eligible = sorted(
        lease_id for lease_id, due in stopped.items() if 8 <= (today - due).days <= 13
    ) or sorted(lease_id for lease_id, due in stopped.items() if (today - due).days >= 8)
    if not eligible:
        return
    have = Lease.objects.filter(pk__in=eligible, allows_access_freeze=True).count()
    if have < FREEZE_CASES:
        add = list(
            Lease.objects.filter(pk__in=eligible, allows_access_freeze=False)
            .order_by("id")
            .values_list("id", flat=True)[: FREEZE_CASES - have]
        )
        Lease.objects.filter(pk__in=add).update(allows_access_freeze=True)


def _pause_old_cases(
    rng: random.Random,
    *,
    stopped: dict[int, dt.date],
    today: dt.date,
    first_run: dt.date,
    by: User,
) -> int:
    """Old cases but SETTLEMENT_CASES get a pause before their settlement stage (D+14)."""
    old = sorted((due, lease_id) for lease_id, due in stopped.items() if (today - due).days >= 14)
    paused = 0
    # The oldest case and one in the middle go on to their settlement.
    keep = set(sorted({0, len(old) // 2})[:SETTLEMENT_CASES]) if old else set()
    leases = Lease.objects.in_bulk([lease_id for _due, lease_id in old])
    for i, (due, lease_id) in enumerate(old):
        if i in keep:
            continue
        # From a few days before D+14 (not before the first replayed run, so the case has its
        # notices), until a date after today.
        start = due + dt.timedelta(days=rng.randint(9, 12))
        start = min(max(start, first_run + dt.timedelta(days=1)), due + dt.timedelta(days=13))
        dunning_services.pause_create(
            lease=leases[lease_id],
            by=by,
            start=start,
            end=today + dt.timedelta(days=rng.randint(7, 30)),
            reason=PAUSE_REASONS[i % len(PAUSE_REASONS)],
        )
        paused += 1
    return paused


@dataclass
class _Executor:
    """Executes the organization's pending actions day by day, within the caps.

    Call tasks, freeze requests and settlements are executed (up to ``actions_max`` actions in
    all); signed documents up to ``documents_max``; messages up to NOTIFY_PER_DAY a day,
    overdue notices before reminders. What is left stays pending for the worker.
    """

    organization_id: int
    actions_max: int
    documents_max: int
    counts: Counter[str] = field(default_factory=Counter)
    documents: Counter[str] = field(default_factory=Counter)
    executed: int = 0

    def run(self, day: dt.date) -> None:
        pending = sorted(
            DunningAction.objects.filter(
                organization_id=self.organization_id, status=ActionStatus.PENDING
            ).values_list("id", "kind", "stage_code"),
            key=lambda a: (a[1] == ActionKind.NOTIFY, a[2].startswith("T"), a[0]),
        )
        messages = 0
        for action_id, kind, code in pending:
            if self.executed >= self.actions_max:
                return
            if kind == ActionKind.DOCUMENT:
                if (
                    self.documents[code] >= DOCUMENTS_PER_STAGE
                    or self.documents.total() >= self.documents_max
                ):
                    continue
                self.documents[code] += 1
            elif kind == ActionKind.NOTIFY:
                if messages >= NOTIFY_PER_DAY:
                    continue
                messages += 1
            status = executor.action_execute(action_id=action_id, today=day)
            self.executed += 1
            self.counts[str(status)] += 1

    def paid(self, bills: list[tuple[int, dt.datetime]], day: dt.date) -> None:
        """After payments: what the payment hook would do — cancel the open call tasks and
        freeze requests of bills now paid (leases with such effects only)."""
        if not bills:
            return
        bill_ids = [b for b, _at in bills]
        lease_ids: set[int] = set()
        for start in range(0, len(bill_ids), 500):
            lease_ids.update(
                Bill.objects.filter(pk__in=bill_ids[start : start + 500]).values_list(
                    "lease_id", flat=True
                )
            )
        with_effects = set(
            CallTask.objects.filter(
                organization_id=self.organization_id, status=CallStatus.OPEN
            ).values_list("lease_id", flat=True)
        ) | set(
            FreezeRequest.objects.filter(
                organization_id=self.organization_id, status=FreezeStatus.REQUESTED
            ).values_list("lease_id", flat=True)
        )
        for lease_id in sorted(lease_ids & with_effects):
            executor.actions_recheck_for_lease(lease_id=lease_id, today=day)


def _work_calls(rng: random.Random, *, org: Organization, today: dt.date, by: User) -> int:
    """Customer service has called some tenants today: outcomes, tags and promises."""
    calls = list(
        CallTask.objects.filter(organization=org, status=CallStatus.OPEN).order_by("due_date", "id")
    )
    worked = 0
    for call in calls[::3][:CALLS_WORKED_MAX]:
        outcome, note, promises = CALL_OUTCOMES[worked % len(CALL_OUTCOMES)]
        extra: dict[str, Any] = {}
        if promises:
            extra = {
                "promise_amount": call.amount,
                "promised_date": today + dt.timedelta(days=rng.randint(2, 10)),
            }
        dunning_services.call_complete(call=call, by=by, outcome=outcome, note=note, **extra)
        worked += 1
    return worked


# Entry point --------------------------------------------------------------------------------


def seed_collections(
    *,
    org: Organization,
    today: dt.date,
    seed_value: int,
    units: int,
    tenant_customer_id: int,
    users: dict[str, User],
) -> dict[str, int]:
    """Bills, payments and the dunning history of a freshly seeded organization."""
    rng = random.Random(seed_value * 7919 + 1)  # its own stream: the portfolio stays as it was
    scale = scale_for(units)
    go_live = billing_start(today, units)
    through = today + dt.timedelta(days=HORIZON_DAYS)
    counts: dict[str, int] = {}

    write_cursors(
        org, go_live, after=through + dt.timedelta(days=1),
        billed=_billed_buildings(org, scale.billed_units),
    )  # fmt: skip
    # No late fee as of go-live (every due date is later); they accrue below, as of today.
    first = bills_generate(through=through, today=go_live - dt.timedelta(days=40))
    counts["bills"] = first["bills_created"]

    paid, stopped = _decide_payments(
        rng, org=org, today=today, tenant_customer_id=tenant_customer_id
    )
    _write_payments(paid)
    counts["payments"] = len(paid.payments)
    counts["delinquent_leases"] = len(stopped)
    replay_from = today - dt.timedelta(days=scale.replay_days - 1)
    _allow_freezes(stopped, today=today)
    _settle([b for day, bills in paid.by_day.items() if day < replay_from for b in bills])
    counts["dunning_pauses"] = _pause_old_cases(
        rng, stopped=stopped, today=today, first_run=replay_from, by=users[Role.MANAGEMENT]
    )

    run = _Executor(org.pk, scale.actions_max, scale.documents)
    day = replay_from
    while day < today:
        dunning_run(on=day, organization_id=org.pk)
        run.run(day)
        _settle(paid.by_day.get(day, []))
        run.paid(paid.by_day.get(day, []), day)
        day += dt.timedelta(days=1)

    # Today: a utilities charge for the tenant login, the generation run (late fees as of
    # today), today's dunning run and its actions, then the calls made this morning.
    tenant_lease = (
        Lease.objects.filter(
            organization=org, customer_id=tenant_customer_id, status=LeaseStatus.ACTIVE
        )
        .order_by("start_date", "id")
        .first()
    )
    if tenant_lease is not None:
        month = add_months(today.replace(day=1), -1)
        billing_services.charge_create(
            by=users[Role.FINANCE],
            lease_id=tenant_lease.pk,
            kind=BillKind.UTILITY,
            amount=TENANT_UTILITIES,
            due_date=today + dt.timedelta(days=5),
            period_start=month,
            period_end=today.replace(day=1) - dt.timedelta(days=1),
            description=f"{month:%Y年%m月}水电燃气费",
        )
    second = bills_generate(through=through, today=today)
    counts["late_fee_bills"] = second["late_fee_bills_created"]
    dunning_run(on=today, organization_id=org.pk)
    run.run(today)
    counts["calls_worked"] = _work_calls(rng, org=org, today=today, by=users[Role.CUSTOMER_SERVICE])
    counts["dunning_actions_executed"] = run.executed
    counts["dunning_actions_pending"] = DunningAction.objects.filter(
        Q(status=ActionStatus.PENDING), organization=org
    ).count()
    return counts
