"""The generation run: cycles, proration, rent-free, escalation, due days, deposits, late fees."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from anzu.billing.generation import bills_generate
from anzu.billing.models import Bill, BillingCursor
from anzu.core.models import AuditEvent
from anzu.leasing import services as leasing_services
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db
D = dt.date


def rents(lease):
    return [
        (b.period_start, b.period_end, b.due_date, b.amount, b.status)
        for b in Bill.objects.filter(lease=lease, kind="rent").order_by("period_start")
    ]


@pytest.mark.parametrize(
    ("pay_months", "starts", "amount"),
    [
        (1, [D(2026, m, 1) for m in range(1, 13)], Decimal("3200.00")),
        (3, [D(2026, 1, 1), D(2026, 4, 1), D(2026, 7, 1), D(2026, 10, 1)], Decimal("9600.00")),
        (6, [D(2026, 1, 1), D(2026, 7, 1)], Decimal("19200.00")),
        (12, [D(2026, 1, 1)], Decimal("38400.00")),
    ],
)
def test_each_payment_cycle(make_lease, frozen, pay_months, starts, amount):
    lease = make_lease(pay_months=pay_months)
    summary = bills_generate(through=D(2026, 12, 31))
    rows = rents(lease)
    assert [r[0] for r in rows] == starts
    assert {r[3] for r in rows} == {amount}
    assert rows[-1][1] == D(2026, 12, 31)
    assert summary["rent_bills_created"] == len(starts)
    assert summary["deposit_bills_created"] == 1
    deposit = Bill.objects.get(lease=lease, kind="deposit")
    assert (deposit.amount, deposit.due_date, deposit.status) == (
        Decimal("3200.00"),
        D(2026, 1, 1),
        "open",
    )


def test_through_limits_generation_and_second_run_creates_nothing(make_lease, frozen):
    lease = make_lease()
    first = bills_generate(through=D(2026, 3, 15))
    assert first["rent_bills_created"] == 3
    assert [r[0] for r in rents(lease)] == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    bills, audits = Bill.objects.count(), AuditEvent.objects.count()
    again = bills_generate(through=D(2026, 3, 15))
    assert again["bills_created"] == 0
    assert again["leases_read"] == 0
    assert (Bill.objects.count(), AuditEvent.objects.count()) == (bills, audits)
    # Moving on bills the next period only.
    later = bills_generate(through=D(2026, 4, 1))
    assert later["rent_bills_created"] == 1


def test_lost_cursor_does_not_duplicate_bills(make_lease, frozen):
    make_lease()
    bills_generate(through=D(2026, 6, 30))
    count = Bill.objects.count()
    BillingCursor.objects.all().delete()
    summary = bills_generate(through=D(2026, 6, 30))
    assert summary["bills_created"] == 0
    assert Bill.objects.count() == count


def test_draft_and_pending_leases_are_not_billed(portfolio, manager, frozen):
    from anzu.common.testing import lease_data

    approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    assert bills_generate(through=D(2026, 12, 31))["bills_created"] == 0


def test_due_day_rules(make_lease, frozen):
    before = make_lease(due_day_rule="days_before_period", due_day_value=5)
    fixed = make_lease(
        unit="u2", start_date="2026-01-15", due_day_rule="day_of_month", due_day_value=10
    )
    bills_generate(through=D(2026, 3, 31))
    assert [r[2] for r in rents(before)] == [D(2025, 12, 27), D(2026, 1, 27), D(2026, 2, 24)]
    assert [r[2] for r in rents(fixed)] == [D(2026, 1, 10), D(2026, 2, 10), D(2026, 3, 10)]


def test_day_of_month_later_than_period_start_falls_on_the_start(make_lease, frozen):
    lease = make_lease(due_day_rule="day_of_month", due_day_value=5)
    bills_generate(through=D(2026, 2, 28))
    assert [r[2] for r in rents(lease)] == [D(2026, 1, 1), D(2026, 2, 1)]


def test_rent_free_and_escalation(make_lease, frozen):
    lease = make_lease(
        start_date="2026-01-01",
        end_date="2027-12-31",
        monthly_rent="3000.00",
        pay_months=12,
        rent_free_periods=[{"start": "2026-01-01", "end": "2026-01-15"}],
        escalation_pct="5.00",
        escalation_every_months=12,
    )
    bills_generate(through=D(2027, 12, 31))
    # 2026: 12 × 3000 − 15 days × 3000 / 31 (1451.612…) = 34548.39; 2027: 12 × 3150.
    assert [r[3] for r in rents(lease)] == [Decimal("34548.39"), Decimal("37800.00")]


def test_wholly_rent_free_period_is_a_settled_zero_bill(make_lease, frozen):
    lease = make_lease(rent_free_periods=[{"start": "2026-01-01", "end": "2026-01-31"}])
    bills_generate(through=D(2026, 2, 1))
    assert rents(lease)[0][3:] == (Decimal("0.00"), "paid")
    assert rents(lease)[1][3:] == (Decimal("3200.00"), "open")


def test_termination_prorates_the_last_period_and_voids_later_unpaid(make_lease, manager, frozen):
    lease = make_lease(pay_months=1)
    bills_generate(through=D(2026, 3, 31))
    leasing_services.lease_terminate(lease=lease, by=manager, on="2026-02-14", reason="提前退租")
    summary = bills_generate(through=D(2026, 12, 31))
    assert summary["rent_bills_voided"] == 1
    assert summary["rent_bills_created"] == 0
    statuses = [(r[0], r[4]) for r in rents(lease)]
    assert statuses == [(D(2026, 1, 1), "open"), (D(2026, 2, 1), "open"), (D(2026, 3, 1), "void")]


def test_termination_before_billing_clips_the_period(make_lease, manager, frozen):
    lease = make_lease(pay_months=3)
    leasing_services.lease_terminate(lease=lease, by=manager, on="2026-02-14", reason="提前退租")
    bills_generate(through=D(2026, 12, 31))
    # January whole (3200) + 14 days of February × 3200 / 28 (1600) = 4800.00
    assert rents(lease) == [
        (D(2026, 1, 1), D(2026, 2, 14), D(2026, 1, 1), Decimal("4800.00"), "open")
    ]


def test_late_fees_accrue_recompute_and_stop_when_paid(make_lease, finance, frozen):
    from anzu.billing import services

    lease = make_lease(deposit="0", late_fee_daily_rate="0.00050", late_fee_grace_days=3)
    # Business date 2026-03-10; 3200 × 0.0005 = 1.60 a day from the 4th day after the due date.
    bills_generate(through=D(2026, 3, 31))
    fees = {
        b.source_bill.period_start: (b.amount, b.period_start, b.due_date)
        for b in Bill.objects.filter(lease=lease, kind="late_fee").select_related("source_bill")
    }
    # January: 01-05 … 03-10 = 65 days = 104.00; February: 02-05 … 03-10 = 34 days = 54.40;
    # March: 03-05 … 03-10 = 6 days = 9.60.
    assert fees == {
        D(2026, 1, 1): (Decimal("104.00"), D(2026, 1, 5), D(2026, 3, 10)),
        D(2026, 2, 1): (Decimal("54.40"), D(2026, 2, 5), D(2026, 3, 10)),
        D(2026, 3, 1): (Decimal("9.60"), D(2026, 3, 5), D(2026, 3, 10)),
    }
    again = bills_generate(through=D(2026, 3, 31))
    assert again["late_fee_bills_created"] == again["late_fee_bills_raised"] == 0
    # Pay January's rent in full; the next day its fee stays, the others grow.
    services.payment_record(by=finance, lease_id=lease.pk, channel="cash", amount="3200.00")
    frozen.shift(dt.timedelta(days=1))
    summary = bills_generate(through=D(2026, 3, 31))
    assert summary["late_fee_bills_raised"] == 2
    jan_fee = Bill.objects.get(
        lease=lease, kind="late_fee", source_bill__period_start=D(2026, 1, 1)
    )
    assert jan_fee.amount == Decimal("104.00")
    feb_fee = Bill.objects.get(
        lease=lease, kind="late_fee", source_bill__period_start=D(2026, 2, 1)
    )
    assert (feb_fee.amount, feb_fee.period_end) == (Decimal("56.00"), D(2026, 3, 11))


def test_no_late_fee_within_grace_or_without_rate(make_lease, frozen):
    make_lease(start_date="2026-03-08", late_fee_daily_rate="0.001", late_fee_grace_days=5)
    make_lease(unit="u2", start_date="2026-01-01")
    bills_generate(through=D(2026, 3, 31))
    assert not Bill.objects.filter(kind="late_fee").exists()


def test_generated_bills_copy_the_lease_scope(make_lease, frozen):
    lease = make_lease()
    bills_generate(through=D(2026, 1, 31))
    bill = Bill.objects.filter(lease=lease).first()
    assert (
        bill.organization_id,
        bill.project_id,
        bill.building_id,
        bill.unit_id,
        bill.customer_id,
    ) == (
        lease.organization_id,
        lease.project_id,
        lease.building_id,
        lease.unit_id,
        lease.customer_id,
    )


def test_command_prints_json_summary_and_is_idempotent(make_lease, frozen):
    make_lease()
    out = io.StringIO()
    call_command("bills", "generate", "--through", "2026-02-28", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["rent_bills_created"] == 2
    assert summary["deposit_bills_created"] == 1
    out = io.StringIO()
    call_command("bills", "generate", "--through", "2026-02-28", stdout=out)
    assert json.loads(out.getvalue())["bills_created"] == 0


def test_periodic_task_runs_the_generation(make_lease, frozen):
    from anzu.billing.tasks import generate_bills

    make_lease()
    result = generate_bills.call_local()
    # Today 2026-03-10 + 40 days ahead: through 2026-04-19 → January to April.
    assert result["through"] == "2026-04-19"
    assert result["rent_bills_created"] == 4


def test_voided_bill_takes_its_unpaid_late_fee_along(make_lease, manager, frozen):
    lease = make_lease(
        deposit="0",
        due_day_rule="days_before_period",
        due_day_value=20,
        late_fee_daily_rate="0.001",
    )
    # April's rent is due 03-12; on 03-20 it is 8 days overdue.
    bills_generate(through=D(2026, 4, 30))
    frozen.shift(dt.timedelta(days=10))
    bills_generate(through=D(2026, 4, 30))
    april = Bill.objects.get(lease=lease, kind="rent", period_start=D(2026, 4, 1))
    fee = Bill.objects.get(source_bill=april)
    assert fee.amount == Decimal("25.60")
    leasing_services.lease_terminate(lease=lease, by=manager, on="2026-03-31", reason="退租")
    summary = bills_generate(through=D(2026, 4, 30))
    assert (summary["rent_bills_voided"], summary["late_fee_bills_voided"]) == (1, 1)
    fee.refresh_from_db()
    assert fee.status == "void"
