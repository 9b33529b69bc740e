"""The demo's collections: bills, payments, the replayed dunning runs and their effects."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from anzu.billing.choices import BillKind, BillStatus
from anzu.billing.dunning.models import (
    CallTask,
    DunningAction,
    DunningPause,
    DunningRun,
    DunningStep,
    FreezeRequest,
    PaymentPromise,
)
from anzu.billing.dunning.run import dunning_run
from anzu.billing.generation import HORIZON_DAYS, bills_generate
from anzu.billing.models import Allocation, Bill, BillingCursor, DepositEntry, Payment
from anzu.billing.settlement.models import SettlementCase
from anzu.common import clock
from anzu.core.models import AuditEvent, User
from anzu.demo import collecting, seeding
from anzu.demo.statement import statement_csv
from anzu.demo.tests.conftest import TODAY
from anzu.leasing.models import Lease

pytestmark = pytest.mark.django_db

STAGES = ("T-7", "T-3", "T-0", "D+1", "D+3", "D+7", "D+7F", "D+14")


def test_billing_starts_at_go_live():
    assert collecting.billing_start(TODAY, 2000) == dt.date(2026, 9, 1)
    assert collecting.billing_start(TODAY, 100_000) == dt.date(2026, 11, 1)
    # The first period starting on or after go-live (months never drift, day 31 clamps).
    assert collecting._first_period_from(dt.date(2026, 1, 31), 1, dt.date(2026, 9, 1)) == 8
    assert collecting._first_period_from(dt.date(2026, 1, 1), 3, dt.date(2026, 9, 1)) == 3
    assert collecting._first_period_from(dt.date(2026, 10, 5), 3, dt.date(2026, 9, 1)) == 0


def _counts(collected):
    assert {k: v for k, v in collected.counts.items() if k not in ("units", "equipment")} == {
        "projects": 7,
        "buildings": 7,
        "customers": 517,
        "users": 8,
        "leases": 626,
        "bills": 751,
        "payments": 577,
        "delinquent_leases": 7,
        "dunning_pauses": 0,
        "late_fee_bills": 3,
        "calls_worked": 3,
        "dunning_actions_executed": 107,
        "dunning_actions_pending": 70,
    }


def _bills_from_go_live_through_the_horizon(collected):
    org = collected.organization
    bills = Bill.objects.filter(organization=org)
    kinds = Counter(bills.values_list("kind", "status"))
    assert kinds == {
        ("rent", "paid"): 506,
        ("rent", "open"): 173,
        ("deposit", "paid"): 71,
        ("deposit", "open"): 1,
        ("late_fee", "open"): 3,
        ("utility", "open"): 1,
    }
    go_live = collecting.billing_start(TODAY, 300)
    rent = bills.filter(kind=BillKind.RENT)
    assert rent.filter(period_start__lt=go_live).count() == 0
    assert max(rent.values_list("period_start", flat=True)) <= TODAY + dt.timedelta(
        days=HORIZON_DAYS
    )
    # Deposits only for leases signed after go-live; older ones were collected before Anzu.
    assert set(
        bills.filter(kind=BillKind.DEPOSIT).values_list("lease__start_date", flat=True)
    ) == set(
        Lease.objects.filter(
            organization=org,
            start_date__gte=go_live,
            status__in=("active", "expired", "terminated"),
        ).values_list("start_date", flat=True)
    )
    # Every billed lease has its cursor: written at go-live, or by the generation run.
    billed = Lease.objects.filter(organization=org, status__in=("active", "expired", "terminated"))
    assert BillingCursor.objects.filter(lease__organization=org).count() == billed.count() == 606


def _balances_match_the_allocations(collected):
    org = collected.organization
    allocated = dict(
        Allocation.objects.filter(bill__organization=org)
        .values("bill_id")
        .annotate(s=Sum("amount"))
        .values_list("bill_id", "s")
    )
    for bill in Bill.objects.filter(organization=org):
        assert bill.paid_amount == allocated.get(bill.pk, Decimal("0.00"))
        assert (bill.status == BillStatus.PAID) == (bill.paid_amount == bill.amount)
    for payment in Payment.objects.filter(organization=org).prefetch_related("allocations"):
        assert payment.unallocated == 0
        assert sum(a.amount for a in payment.allocations.all()) == payment.amount
        assert payment.received_at.date() <= TODAY
        assert payment.reference
    deposits = Allocation.objects.filter(bill__organization=org, bill__kind=BillKind.DEPOSIT)
    assert DepositEntry.objects.filter(organization=org, kind="held").count() == deposits.count()


def _payments_on_time_late_and_overdue(collected):
    org = collected.organization
    days = [
        (clock.local(a.created_at).date() - a.bill.due_date).days
        for a in Allocation.objects.filter(
            bill__organization=org, bill__kind=BillKind.RENT
        ).select_related("bill")
    ]
    late = [d for d in days if d > 0]
    assert 0.04 <= len(late) / len(days) <= 0.12
    assert max(days) <= 7
    overdue_ages = sorted(
        (TODAY - due).days
        for due in Bill.objects.filter(
            organization=org, status=BillStatus.OPEN, kind=BillKind.RENT, due_date__lt=TODAY
        ).values_list("due_date", flat=True)
    )
    assert overdue_ages == [1, 3, 3, 3, 9, 22, 30]


def _dunning_history_has_every_stage(collected):
    org = collected.organization
    assert list(
        DunningRun.objects.filter(organization_id=org.pk)
        .order_by("run_date")
        .values_list("run_date", flat=True)
    ) == [TODAY - dt.timedelta(days=n) for n in range(29, -1, -1)]
    steps = Counter(
        DunningStep.objects.filter(organization=org).values_list("stage_code", flat=True)
    )
    assert set(steps) == set(STAGES)
    actions = DunningAction.objects.filter(organization=org)
    done_docs = actions.filter(kind="document", status="done")
    assert done_docs.count() == collecting.DEMO_SCALE.documents == 4
    assert actions.filter(kind="document", status="pending").exists()
    assert actions.filter(kind="notify", status="done").exists()
    assert actions.filter(kind="settlement", status="done").count() == 2
    assert SettlementCase.objects.filter(organization=org).count() == 2
    assert FreezeRequest.objects.filter(organization=org, status="requested").exists()


def _call_queue_and_promises(collected):
    org = collected.organization
    calls = Counter(CallTask.objects.filter(organization=org).values_list("status", flat=True))
    assert calls["open"] > 0
    assert calls["done"] == collected.counts["calls_worked"]
    assert calls["cancelled"] > 0  # late payers' calls, cancelled when they paid
    assert PaymentPromise.objects.filter(organization=org).exists()
    assert (
        DunningPause.objects.filter(organization=org).count() == collected.counts["dunning_pauses"]
    )


def _tenant_login_has_an_open_bill_in_the_portal(collected, client):
    tenant = User.objects.get(username="demo-tenant")
    open_bills = Bill.objects.filter(customer_id=tenant.customer_id, status=BillStatus.OPEN)
    assert open_bills.filter(kind=BillKind.UTILITY, amount=collecting.TENANT_UTILITIES).exists()
    client.force_login(tenant)
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "186.40" in response.content.decode()


def _rerunning_the_daily_jobs_changes_nothing(collected):
    org = collected.organization
    bills = Bill.objects.filter(organization=org).count()
    summary = bills_generate(through=TODAY + dt.timedelta(days=HORIZON_DAYS), today=TODAY)
    assert summary["bills_created"] == 0
    assert summary["late_fee_bills_raised"] == 0
    assert dunning_run(on=TODAY, organization_id=org.pk)["actions_created"] == 0
    assert Bill.objects.filter(organization=org).count() == bills


def _second_seed_is_refused_and_writes_nothing(collected):
    payments, actions = Payment.objects.count(), DunningAction.objects.count()
    with pytest.raises(seeding.SeedRefused, match="already has data"):
        seeding.seed(units=20, slug="demo")
    assert (Payment.objects.count(), DunningAction.objects.count()) == (payments, actions)


def _the_summary_event_and_the_services_events(collected):
    org = collected.organization
    events = Counter(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert events["demo.seed"] == 1
    assert events["bills.generate"] == 2
    assert events["dunning.run"] == 30
    # Payments are written set-based: the summary event counts them, no event per payment.
    assert events["payment.record"] == 0
    seed_event = AuditEvent.objects.get(organization=org, action="demo.seed")
    assert (
        seed_event.changes["counts"]["payments"] == Payment.objects.filter(organization=org).count()
    )


def test_a_seeded_demo_has_its_collections(collected, client, tmp_path):
    """One seed (it takes a while: the replayed runs sign a few PDFs), every check on it; the
    checks that write come last."""
    _counts(collected)
    _bills_from_go_live_through_the_horizon(collected)
    _balances_match_the_allocations(collected)
    _payments_on_time_late_and_overdue(collected)
    _dunning_history_has_every_stage(collected)
    _call_queue_and_promises(collected)
    _tenant_login_has_an_open_bill_in_the_portal(collected, client)
    _the_summary_event_and_the_services_events(collected)
    _statement_lines_match_the_demo(collected)
    _statement_command(collected, tmp_path)
    _rerunning_the_daily_jobs_changes_nothing(collected)
    _second_seed_is_refused_and_writes_nothing(collected)


def test_same_seed_same_collections(frozen):
    seeding.seed(units=60, months=6, seed=3, slug="one")
    seeding.seed(units=60, months=6, seed=3, slug="two")

    def snapshot(slug: str) -> list[tuple]:
        return list(
            Bill.objects.filter(organization__slug=slug)
            .order_by("lease__code", "kind", "period_start")
            .values_list("lease__code", "kind", "period_start", "amount", "paid_amount", "status")
        ) + sorted(
            Payment.objects.filter(organization__slug=slug).values_list(
                "lease__code", "channel", "amount", "received_at"
            )
        )

    assert snapshot("one") == snapshot("two")


def _statement_lines_match_the_demo(collected):
    text = statement_csv(collected.organization, today=TODAY)
    rows = list(csv.reader(io.StringIO(text)))
    header = rows.index(
        ["交易日期", "流水号", "借贷标志", "金额", "币种", "对方户名", "对方账号", "摘要"]
    )
    lines = rows[header + 1 :]
    codes = set(
        Lease.objects.filter(organization=collected.organization).values_list("code", flat=True)
    )
    by_code = [line for line in lines if line[7].split()[0] in codes]
    assert len(by_code) >= 1
    assert [line[2] for line in lines].count("借") == 1
    assert len({line[1] for line in lines}) == len(lines)


def _statement_command(collected, tmp_path):
    out = tmp_path / "stmt.csv"
    call_command("demo", "statement", "--out", str(out), stdout=StringIO())
    assert out.read_text(encoding="utf-8").startswith("招商银行账户交易明细")
    with pytest.raises(CommandError, match="No demo data"):
        call_command("demo", "statement", "--org", "nobody", stdout=StringIO())
