"""The run's bills equal the schedule rules on every path, for many lease terms at once.

On PostgreSQL regular leases are billed by one statement per chunk and late fees are computed
in the database; on SQLite everything is computed in Python. Either way the stored bills must be
exactly what :class:`~anzu.billing.schedule.RentSchedule` and
:func:`~anzu.billing.generation.late_fee_amount` say.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection

from anzu.billing import bulk, generation
from anzu.billing.generation import bills_generate, late_fee_amount, schedule_for
from anzu.billing.models import Bill, BillingCursor
from anzu.billing.schedule import add_months
from anzu.common.testing import UnitFactory
from anzu.leasing.models import Lease
from anzu.portfolio.models import Unit

pytestmark = pytest.mark.django_db
D = dt.date


def _leases(portfolio: dict[str, Any], n: int, seed: int) -> list[Lease]:
    """n leases of n new units with varied terms: month-end starts, every cycle and due rule,
    rent-free days, escalation (reached or not), early ends and terminations."""
    rng = random.Random(seed)
    building = portfolio["b1"]
    customer = portfolio["customer"]
    leases = []
    for i in range(n):
        unit = cast(Unit, UnitFactory(building=building, code=f"T{seed}-{i}"))
        day = rng.choice([1, 15, 28, 29, 30, 31][: 4 + (i % 3)])
        start = add_months(D(2025, 1, day), rng.choice([0, 1, 4, 7, 10, 11]))
        end = generation_end(start, rng.choice([3, 7, 12, 24, 36]), rng.choice([0, 0, 10]))
        status = rng.choice(["active", "active", "active", "terminated", "expired"])
        occupied_until = end
        if status == "terminated":
            occupied_until = start + dt.timedelta(days=rng.randrange(20, 500))
            occupied_until = min(occupied_until, end)
        escalates = rng.random() < 0.4
        free = rng.random() < 0.3
        rent = Decimal(rng.randrange(800, 12000)) + Decimal("0.01") * rng.randrange(100)
        leases.append(
            Lease(
                organization=portfolio["p1"].organization,
                project_id=unit.project_id,
                building_id=unit.building_id,
                unit=unit,
                customer=customer,
                code=f"PATH{seed}-{i}",
                status=status,
                start_date=start,
                end_date=end,
                occupied_until=occupied_until,
                monthly_rent=rent if i % 17 else Decimal("0.00"),
                deposit=rent if i % 5 else Decimal("0.00"),
                pay_months=rng.choice([1, 1, 2, 3, 6, 12]),
                due_day_rule=rng.choice(["days_before_period", "day_of_month"]),
                due_day_value=rng.choice([0, 1, 5, 10, 28, 30, 31]),
                rent_free_periods=(
                    [
                        {
                            "start": (start + dt.timedelta(days=d)).isoformat(),
                            "end": (
                                start + dt.timedelta(days=d + rng.randrange(0, 60))
                            ).isoformat(),
                        }
                        for d in sorted(rng.sample(range(0, 300), rng.randrange(1, 3)))
                    ]
                    if free
                    else []
                ),
                escalation_pct=Decimal(rng.choice(["3.00", "5.50", "0.00"])) if escalates else None,
                escalation_every_months=rng.choice([6, 12, 13]) if escalates else None,
                late_fee_daily_rate=Decimal("0.00050") if i % 3 else Decimal("0"),
                late_fee_grace_days=rng.choice([0, 3, 5]),
            )
        )
    return Lease.objects.bulk_create(leases)


def generation_end(start: dt.date, months: int, short_by: int) -> dt.date:
    return add_months(start, months) - dt.timedelta(days=1 + short_by)


def _expected_rents(lease: Lease, through: dt.date) -> list[tuple[Any, ...]]:
    return [
        (p.start, p.end, p.due_date, p.amount, "open" if p.amount else "paid")
        for p in schedule_for(lease).periods_through(through)
    ]


def _stored_rents(lease: Lease) -> list[tuple[Any, ...]]:
    return list(
        Bill.objects.filter(lease=lease, kind="rent")
        .order_by("period_start")
        .values_list("period_start", "period_end", "due_date", "amount", "status")
    )


def test_rent_deposits_and_cursors_match_the_schedule_in_steps(portfolio, monkeypatch):
    # Small chunks, so that several chunks (and their boundaries) are exercised.
    monkeypatch.setattr(generation, "CHUNK", 7)
    monkeypatch.setattr(generation, "CHUNK_IN_DATABASE", 7)
    paths = {"regular": 0, "irregular": 0}
    in_database = bulk.generate_rent_chunk

    def spy(**kwargs: Any) -> Any:
        read, inserted, rows = in_database(**kwargs)
        paths["regular"] += inserted.total()
        paths["irregular"] += len(rows)
        return read, inserted, rows

    monkeypatch.setattr(bulk, "generate_rent_chunk", spy)
    leases = _leases(portfolio, 60, seed=7)
    throughs = [D(2025, 1, 10), D(2025, 6, 30), D(2025, 7, 1), D(2026, 3, 31), D(2028, 12, 31)]
    for through in throughs:
        bills_generate(through=through, today=D(2025, 1, 1))
        for lease in leases:
            assert _stored_rents(lease) == _expected_rents(lease, through), lease.code
            schedule = schedule_for(lease)
            billed = len(schedule.periods_through(through))
            cursor = BillingCursor.objects.get(lease=lease)
            assert (cursor.next_rent_index, cursor.next_rent_start) == (
                billed,
                schedule.next_start_after(billed),
            ), lease.code
    deposits = list(
        Bill.objects.filter(kind="deposit")
        .order_by("lease_id")
        .values_list("lease_id", "period_start", "period_end", "due_date", "amount", "status")
    )
    assert deposits == [
        (lease.pk, lease.start_date, lease.start_date, lease.start_date, lease.deposit, "open")
        for lease in sorted(leases, key=lambda x: x.pk)
        if lease.deposit > 0
    ]
    again = bills_generate(through=throughs[-1], today=D(2025, 1, 1))
    assert (again["bills_created"], again["leases_read"]) == (0, 0)
    if connection.vendor == "postgresql":
        # Both paths were taken: bills written by the statement, leases computed in Python.
        assert paths["regular"] > 100
        assert paths["irregular"] > 20


def test_one_run_equals_many_runs_and_lost_cursors_change_nothing(portfolio):
    leases = _leases(portfolio, 40, seed=11)
    first = bills_generate(through=D(2026, 8, 31), today=D(2025, 1, 1))
    stored = {lease.pk: _stored_rents(lease) for lease in leases}
    assert stored == {lease.pk: _expected_rents(lease, D(2026, 8, 31)) for lease in leases}
    assert first["rent_bills_created"] == sum(len(v) for v in stored.values())
    BillingCursor.objects.filter(lease_id__in=[lease.pk for lease in leases[::2]]).delete()
    again = bills_generate(through=D(2026, 8, 31), today=D(2025, 1, 1))
    assert again["bills_created"] == 0
    assert again["leases_read"] == 20
    assert {lease.pk: _stored_rents(lease) for lease in leases} == stored


def _expected_fees(as_of: dt.date, previous: dict[int, Decimal]) -> dict[int, Decimal]:
    expected = dict(previous)
    bills = Bill.objects.filter(
        kind__in=["rent"], status="open", due_date__lt=as_of
    ).select_related("lease")
    for bill in bills:
        if bill.lease.late_fee_daily_rate <= 0:
            continue
        fee, _first = late_fee_amount(
            outstanding=bill.amount - bill.paid_amount,
            due=bill.due_date,
            grace_days=bill.lease.late_fee_grace_days,
            daily_rate=bill.lease.late_fee_daily_rate,
            as_of=as_of,
        )
        if fee > 0:
            expected[bill.pk] = max(fee, expected.get(bill.pk, Decimal(0)))
    return expected


def test_late_fees_match_the_rule_with_partial_payments(portfolio, monkeypatch):
    monkeypatch.setattr(generation, "FEE_LEASE_RANGE", 4)
    _leases(portfolio, 30, seed=3)
    bills_generate(through=D(2025, 12, 31), today=D(2025, 1, 1))
    # The first run already charges bills due before 2025-01-01 (late fees as of that day).
    fees = _expected_fees(D(2025, 1, 1), {})
    created_on = dict.fromkeys(fees, D(2025, 1, 1))
    raised_on = dict(created_on)
    rng = random.Random(5)
    for as_of in (D(2025, 3, 1), D(2025, 3, 2), D(2025, 6, 15), D(2025, 12, 31)):
        # Pay part of some open rent bills (a test shortcut around the payment service).
        for bill in Bill.objects.filter(kind="rent", status="open").order_by("id")[::4]:
            part = (bill.amount * Decimal(rng.choice(["0.25", "0.5", "1"]))).quantize(
                Decimal("0.01")
            )
            status = "paid" if part == bill.amount else "open"
            Bill.objects.filter(pk=bill.pk).update(paid_amount=part, status=status)
        expected = _expected_fees(as_of, fees)
        for source_id, fee in expected.items():
            created_on.setdefault(source_id, as_of)
            if fee != fees.get(source_id):
                raised_on[source_id] = as_of
        summary = bills_generate(through=D(2025, 12, 31), today=as_of)
        assert summary["late_fee_bills_created"] == len(expected) - len(fees)
        assert summary["late_fee_bills_raised"] == sum(
            1 for k, v in fees.items() if expected[k] != v
        )
        fees = expected
        stored: dict[int, Bill] = {}
        for b in Bill.objects.filter(kind="late_fee").select_related("source_bill__lease"):
            assert b.source_bill_id is not None
            stored[b.source_bill_id] = b
        assert {k: b.amount for k, b in stored.items()} == fees, as_of
        for source_id, b in stored.items():
            source = b.source_bill
            assert source is not None
            first_day = source.due_date + dt.timedelta(days=source.lease.late_fee_grace_days + 1)
            assert (b.period_start, b.period_end, b.due_date, b.status, b.paid_amount) == (
                first_day,
                raised_on[source_id],
                created_on[source_id],
                "open",
                Decimal("0.00"),
            )
        again = bills_generate(through=D(2025, 12, 31), today=as_of)
        assert (again["late_fee_bills_created"], again["late_fee_bills_raised"]) == (0, 0)
    assert fees


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_statistics_are_refreshed_after_a_large_first_run(portfolio):
    _leases(portfolio, 3, seed=1)
    bills_generate(through=D(2025, 12, 31), today=D(2025, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'billing_bill'::regclass")
        before = cursor.fetchone()[0]
        bulk.refresh_statistics(inserted=10**6)
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'billing_bill'::regclass")
        after = cursor.fetchone()[0]
    assert after == Bill.objects.count() != before
