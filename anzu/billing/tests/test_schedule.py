"""The rent schedule rules, exactly (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from anzu.billing.schedule import RentSchedule, add_months, due_date

D = dt.date


def schedule(**kw: object) -> RentSchedule:
    args: dict[str, object] = {
        "start": D(2026, 1, 1),
        "last_day": D(2026, 12, 31),
        "monthly_rent": Decimal("3000.00"),
        "pay_months": 1,
        "due_rule": "days_before_period",
        "due_value": 0,
    }
    args.update(kw)
    return RentSchedule(**args)  # type: ignore[arg-type]


def test_add_months_clamps_without_drift():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 1, 31), 2) == D(2026, 3, 31)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2026, 11, 15), 3) == D(2027, 2, 15)


def test_due_date_rules():
    assert due_date("days_before_period", 5, D(2026, 3, 1)) == D(2026, 2, 24)
    assert due_date("days_before_period", 0, D(2026, 3, 1)) == D(2026, 3, 1)
    assert due_date("day_of_month", 5, D(2026, 3, 15)) == D(2026, 3, 5)
    assert due_date("day_of_month", 20, D(2026, 3, 15)) == D(2026, 3, 15)


def test_partial_last_period_is_prorated_by_days_of_that_month():
    s = schedule(last_day=D(2026, 3, 20))
    p = s.period(2)
    assert p is not None
    assert (p.start, p.end) == (D(2026, 3, 1), D(2026, 3, 20))
    # 20 days × 3000 / 31 = 1935.483… → 1935.48
    assert p.amount == Decimal("1935.48")
    assert s.period(3) is None


def test_quarterly_partial_period_whole_months_plus_days():
    s = schedule(pay_months=3, last_day=D(2026, 5, 10))
    p = s.period(1)
    assert p is not None
    assert (p.start, p.end) == (D(2026, 4, 1), D(2026, 5, 10))
    # April whole (3000) + 10 days of May × 3000 / 31 (967.741…) = 3967.74
    assert p.amount == Decimal("3967.74")


def test_anchored_on_mid_month_start():
    s = schedule(start=D(2026, 1, 15), last_day=D(2026, 3, 20))
    assert [(p.start, p.end, p.amount) for p in s.periods_through(D(2026, 12, 31))] == [
        (D(2026, 1, 15), D(2026, 2, 14), Decimal("3000.00")),
        (D(2026, 2, 15), D(2026, 3, 14), Decimal("3000.00")),
        # 6 days of the lease month 15 Mar – 14 Apr (31 days): 6 × 3000 / 31 = 580.645…
        (D(2026, 3, 15), D(2026, 3, 20), Decimal("580.65")),
    ]


def test_rent_free_days_reduce_day_by_day():
    s = schedule(rent_free=[(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 21), D(2026, 2, 28))])
    assert s.period(0).amount == Decimal("0.00")  # type: ignore[union-attr]
    # February: 20 of 28 days billed: 3000 × 20 / 28 = 2142.857… → 2142.86
    assert s.period(1).amount == Decimal("2142.86")  # type: ignore[union-attr]
    assert s.period(2).amount == Decimal("3000.00")  # type: ignore[union-attr]


def test_escalation_compounds_and_rounds_each_step():
    s = schedule(
        last_day=D(2028, 12, 31),
        pay_months=12,
        escalation_pct=Decimal("3.33"),
        escalation_every=12,
    )
    amounts = [p.amount for p in s.periods_through(D(2028, 12, 31))]
    # 3000 → 3099.90 → round(3099.90 × 1.0333) = 3203.12667 → 3203.13
    assert amounts == [Decimal("36000.00"), Decimal("37198.80"), Decimal("38437.56")]
