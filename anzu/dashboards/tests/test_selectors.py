"""Every KPI of the hand-computed ledger (tests/conftest.py), exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anzu.billing import selectors as billing_selectors
from anzu.common.errors import NotFound, PermissionDenied, ValidationFailed
from anzu.common.testing import make_user
from anzu.dashboards import selectors
from anzu.dashboards.selectors import KpiParams

D = dt.date
AS_OF = D(2026, 3, 10)
PERIOD = {"start": D(2026, 2, 1), "end": D(2026, 3, 10)}


def kpis(user: Any, as_of: dt.date = AS_OF, project_id: int | None = None, **period: Any) -> Any:
    params = KpiParams(as_of=as_of, project_id=project_id, **(period or PERIOD))
    return selectors.collection_kpis(user, params)


def money(value: str) -> Decimal:
    return Decimal(value)


def aging_rows(data: dict[str, Any]) -> list[tuple[str, int, Decimal]]:
    return [(b["bucket"], b["count"], b["amount"]) for b in data["aging"]["buckets"]]


# 1. Overdue rate by amount ---------------------------------------------------------------------


def test_overdue_rate_by_amount(ledger: Any, finance: Any) -> None:
    # Due by 03-10 (no deposit B0, no void B9, not B5 due 03-15):
    #   B1 3000 + B2 3000 + B3 3000 + B4 2500 + B6 200 + B7 4000 + B8 100 + B10 3500 = 19300.
    # Unpaid at the end of 03-10: B3 3000 + B6 200 (due that day) + B7 2500 + B10 2500
    #   (its 1000 of 23:30 counts, its 2500 of 00:10 the next day does not) = 8200.
    # 8200 / 19300 = 42.487…% → 42.49.
    data = kpis(finance)
    assert data["overdue_by_amount"] == {
        "due_amount": money("19300.00"),
        "overdue_amount": money("8200.00"),
        "rate": money("42.49"),
    }


def test_past_date_ignores_later_settlements(ledger: Any, finance: Any) -> None:
    # As of 02-05: due B7 4000 + B1 3000 + B8 100 + B10 3500 + B2 3000 = 13600; settled by then
    # B1 3000 + B7 1500 + B2 1000 = 5500 (B8's offset, B2's 2000 and B10 come later) → 8100.
    # 8100 / 13600 = 59.558…% → 59.56.
    data = kpis(finance, as_of=D(2026, 2, 5), start=D(2026, 2, 1), end=D(2026, 2, 5))
    assert data["overdue_by_amount"] == {
        "due_amount": money("13600.00"),
        "overdue_amount": money("8100.00"),
        "rate": money("59.56"),
    }
    # Days overdue at 02-05: B2 4, B10 21, B8 26 → 0–30; B7 66 → 61–90.
    assert aging_rows(data) == [
        ("0-30", 3, money("5600.00")),
        ("31-60", 0, money("0.00")),
        ("61-90", 1, money("2500.00")),
        ("90+", 0, money("0.00")),
    ]
    # Leases running on 02-05 with a bill due: L1, L3 (until 02-28), L4; all three have a bill
    # due before 02-05 unpaid then (B2, B7/B8, B10).
    assert data["overdue_by_lease"] == {"leases": 3, "overdue_leases": 3, "rate": money("100.00")}


def test_same_answer_when_asked_again_after_more_payments(ledger: Any, finance: Any) -> None:
    from anzu.dashboards.tests.conftest import Ledger, local

    before = kpis(finance)
    book = Ledger.__new__(Ledger)
    book.org, book.payments = ledger["org"], 100
    book.pay(ledger["bills"]["B3"], "3000.00", local(2026, 3, 15))
    after = kpis(finance)
    assert after["overdue_by_amount"] == before["overdue_by_amount"]
    assert after["aging"] == before["aging"]
    assert after["overdue_by_lease"] == before["overdue_by_lease"]


# 2. Overdue rate by lease ----------------------------------------------------------------------


def test_overdue_rate_by_lease(ledger: Any, finance: Any) -> None:
    # Running on 03-10 with a bill due by then: L1, L2, L4 (L3 ended 02-28) → 3.
    # Overdue (a bill due before 03-10 unpaid at its end): L1 (B3), L4 (B10); not L2 (B6 is due
    # on 03-10 itself, B4 paid) → 2. 2/3 = 66.666…% → 66.67.
    assert kpis(finance)["overdue_by_lease"] == {
        "leases": 3,
        "overdue_leases": 2,
        "rate": money("66.67"),
    }


# 3. Days to collect --------------------------------------------------------------------------


def test_days_to_collect(ledger: Any, finance: Any) -> None:
    # Completed in 02-01…03-10: B2 on 03-05 (due 02-01) 32 days; B4 on 02-10 (due 02-15) early
    # → 0; B5 on 03-09 (due 03-15) early → 0; B8 by deposit offset on 03-02 (due 01-10) 51 days.
    # Not B1 (01-05), not B10 (completed 03-11), not the deposit B0.
    # Mean 83/4 = 20.75; median of 0, 0, 32, 51 = (0 + 32)/2 = 16.00.
    assert kpis(finance)["days_to_collect"] == {
        "bills": 4,
        "mean": money("20.75"),
        "median": money("16.00"),
    }


def test_days_to_collect_odd_count_and_empty_period(ledger: Any, finance: Any) -> None:
    # 03-01…03-05: B8 (51) on 03-02, B2 (32) on 03-05 → mean 41.50, median 41.50.
    data = kpis(finance, start=D(2026, 3, 1), end=D(2026, 3, 5))
    assert data["days_to_collect"] == {"bills": 2, "mean": money("41.50"), "median": money("41.50")}
    # 03-01…03-09: adds B5 (0) → mean 83/3 = 27.666… → 27.67, median 32.00.
    data = kpis(finance, start=D(2026, 3, 1), end=D(2026, 3, 9))
    assert data["days_to_collect"] == {"bills": 3, "mean": money("27.67"), "median": money("32.00")}
    data = kpis(finance, start=D(2025, 6, 1), end=D(2025, 6, 30))
    assert data["days_to_collect"] == {"bills": 0, "mean": None, "median": None}


# 4. Aging --------------------------------------------------------------------------------------


def test_aging_as_of(ledger: Any, finance: Any) -> None:
    # At 03-10: B3 9 days and B6 0 days → 0–30 (3200); B10 54 days → 31–60 (2500);
    # B7 99 days → 90+ (2500).
    data = kpis(finance)
    assert aging_rows(data) == [
        ("0-30", 2, money("3200.00")),
        ("31-60", 1, money("2500.00")),
        ("61-90", 0, money("0.00")),
        ("90+", 1, money("2500.00")),
    ]
    assert data["aging"]["overdue_total"] == money("8200.00")
    assert data["aging"]["overdue_count"] == 4


def test_aging_as_of_today_matches_billing_aging(ledger: Any, finance: Any, today: Any) -> None:
    """On today's date the as-of aging and billing's aging (today's balances) agree."""
    params = selectors.kpi_params(finance)
    assert params.as_of == D(2026, 3, 20)
    bills = selectors.kpi_bills(finance, params)
    mine = selectors.aging_as_of(bills, as_of=params.as_of, tz=dt.UTC)["buckets"]
    theirs = billing_selectors.aging(finance, today=params.as_of, base=bills)["buckets"]
    assert mine == [b for b in theirs if b["bucket"] != "not_due"]
    # 03-20: B3 19 days, B6 10 days → 0–30 (3200); B7 109 days → 90+ (2500).
    assert [(b["bucket"], b["count"], b["amount"]) for b in mine] == [
        ("0-30", 2, money("3200.00")),
        ("31-60", 0, money("0.00")),
        ("61-90", 0, money("0.00")),
        ("90+", 1, money("2500.00")),
    ]


# 5. Collection by stage ----------------------------------------------------------------------


def test_collection_by_stage(ledger: Any, finance: Any) -> None:
    # Allocations of 02-01…03-10 and the furthest stage their bill had entered by that day:
    #   B2 1000 on 02-03 → D+1 (D+3 02-04 and D+7 02-08 came later); B2 2000 on 03-05 → D+7;
    #   B4 2500 on 02-10 → T-7 (a reminder); B5 2500 on 03-09 → none;
    #   B10 1000 on 03-10 23:30 → D+14 (past D+7 and D+7F). B10's 2500 of 03-11 is outside;
    #   B8's deposit offset is not an allocation; the other organization's payment never shows.
    data = kpis(finance)["collection_by_stage"]
    assert data["stages"] == [
        {"stage": "none", "name": "", "amount": money("2500.00"), "bills": 1, "allocations": 1},
        {
            "stage": "T-7",
            "name": "到期前7天提醒",
            "amount": money("2500.00"),
            "bills": 1,
            "allocations": 1,
        },
        {
            "stage": "D+1",
            "name": "逾期第1天客服电话",
            "amount": money("1000.00"),
            "bills": 1,
            "allocations": 1,
        },
        {
            "stage": "D+7",
            "name": "逾期第7天律师函",
            "amount": money("2000.00"),
            "bills": 1,
            "allocations": 1,
        },
        {
            "stage": "D+14",
            "name": "逾期第14天退租清算",
            "amount": money("1000.00"),
            "bills": 1,
            "allocations": 1,
        },
    ]
    assert data["total"] == money("9000.00")
    assert data["allocations"] == 5


def test_stage_ties_go_to_the_later_stage_of_the_policy(ledger: Any, finance: Any) -> None:
    # B10 entered D+7 and D+7F on the same day, both 7 days after due: D+7F is listed later.
    data = kpis(finance, start=D(2026, 3, 10), end=D(2026, 3, 10))["collection_by_stage"]
    assert [(r["stage"], r["amount"]) for r in data["stages"]] == [("D+14", money("1000.00"))]
    from anzu.dashboards.tests.conftest import Ledger, local

    book = Ledger.__new__(Ledger)
    book.org, book.payments = ledger["org"], 200
    bill = ledger["bills"]["B3"]
    book.pay(bill, "100.00", local(2026, 3, 8, 12))
    from anzu.billing.dunning.models import DunningStep

    DunningStep.objects.create(
        organization=ledger["org"],
        bill=bill,
        lease_id=bill.lease_id,
        due_date=bill.due_date,
        stage_code="D+7F",
        policy_version=ledger["policy"],
        on_date=D(2026, 3, 8),
        created_at=local(2026, 3, 8, 9),
    )
    data = kpis(finance, start=D(2026, 3, 8), end=D(2026, 3, 8))["collection_by_stage"]
    assert [(r["stage"], r["amount"], r["bills"]) for r in data["stages"]] == [
        ("D+7F", money("100.00"), 1)
    ]


# 6. Trend ----------------------------------------------------------------------------------


def test_monthly_trend(ledger: Any, finance: Any) -> None:
    trend = kpis(finance)["trend"]
    assert [p["month"] for p in trend] == [
        "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09",
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
    ]  # fmt: skip
    assert trend[0] == {
        "month": "2025-04",
        "as_of": D(2025, 4, 30),
        "due_amount": money("0.00"),
        "overdue_amount": money("0.00"),
        "overdue_rate": None,
        "collected": money("0.00"),
    }
    rows = [
        (p["as_of"], p["due_amount"], p["overdue_amount"], p["overdue_rate"], p["collected"])
        for p in trend[8:]
    ]
    assert rows == [
        # December: B7 4000 due, nothing paid (the deposit B0 is not counted).
        (D(2025, 12, 31), money("4000.00"), money("4000.00"), money("100.00"), money("0.00")),
        # January: + B1 3000, B8 100, B10 3500 = 10600; paid B1 3000 + B7 1500 = 4500;
        # 6100 / 10600 = 57.547…% → 57.55.
        (D(2026, 1, 31), money("10600.00"), money("6100.00"), money("57.55"), money("4500.00")),
        # February: + B2 3000, B4 2500 = 16100; + B2 1000, B4 2500 paid → 8000 settled;
        # 8100 / 16100 = 50.310…% → 50.31.
        (D(2026, 2, 28), money("16100.00"), money("8100.00"), money("50.31"), money("3500.00")),
        # March to the as-of date: the overdue rate by amount of the cards; collected
        # B2 2000 + B5 2500 + B10 1000 = 5500 (B5 is not due yet, the offset is not money in).
        (D(2026, 3, 10), money("19300.00"), money("8200.00"), money("42.49"), money("5500.00")),
    ]


# Scope, project filter, isolation -----------------------------------------------------------


def test_project_filter(ledger: Any, finance: Any, portfolio: Any) -> None:
    # P2 only (L3, L4): due B7 4000 + B8 100 + B10 3500 = 7600; unpaid B7 2500 + B10 2500.
    # 5000 / 7600 = 65.789…% → 65.79. Leases: L4 only, overdue → 100.00.
    data = kpis(finance, project_id=portfolio["p2"].pk)
    assert data["overdue_by_amount"]["rate"] == money("65.79")
    assert data["overdue_by_amount"]["overdue_amount"] == money("5000.00")
    assert data["overdue_by_lease"] == {"leases": 1, "overdue_leases": 1, "rate": money("100.00")}
    assert [r["stage"] for r in data["collection_by_stage"]["stages"]] == ["D+14"]


def test_scoped_user_sees_only_their_projects(ledger: Any, org: Any, portfolio: Any) -> None:
    scoped = make_user(org, "finance", projects=[portfolio["p1"]])
    # P1 only (L1, L2): due 3000 × 3 + 2500 + 200 = 11700; unpaid B3 3000 + B6 200 = 3200.
    # 3200 / 11700 = 27.350…% → 27.35.
    data = kpis(scoped)
    assert data["overdue_by_amount"] == {
        "due_amount": money("11700.00"),
        "overdue_amount": money("3200.00"),
        "rate": money("27.35"),
    }
    assert data["overdue_by_lease"] == {"leases": 2, "overdue_leases": 1, "rate": money("50.00")}
    assert [r["stage"] for r in data["collection_by_stage"]["stages"]] == [
        "none",
        "T-7",
        "D+1",
        "D+7",
    ]
    with pytest.raises(NotFound) as err:
        selectors.kpi_params(scoped, project_id=portfolio["p2"].pk)
    assert err.value.field == "project_id"


def test_other_organization_sees_none_of_it(ledger: Any, other_org: Any) -> None:
    other = make_user(other_org, "admin")
    data = kpis(other)
    # Its one bill: 9999 due 02-01, 999 paid on 02-20.
    assert data["overdue_by_amount"] == {
        "due_amount": money("9999.00"),
        "overdue_amount": money("9000.00"),
        "rate": money("90.01"),
    }
    assert [(r["stage"], r["amount"]) for r in data["collection_by_stage"]["stages"]] == [
        ("D+1", money("999.00"))
    ]
    with pytest.raises(NotFound):
        selectors.kpi_params(other, project_id=ledger["leases"]["L1"].project_id)


# Parameters and queries -----------------------------------------------------------------------


def test_defaults_and_validation(ledger: Any, finance: Any, today: Any) -> None:
    assert selectors.kpi_params(finance) == KpiParams(
        as_of=D(2026, 3, 20), start=D(2026, 3, 1), end=D(2026, 3, 20)
    )
    assert selectors.kpi_params(finance, as_of=D(2026, 1, 31)) == KpiParams(
        as_of=D(2026, 1, 31), start=D(2026, 1, 1), end=D(2026, 1, 31)
    )
    with pytest.raises(ValidationFailed) as err:
        selectors.kpi_params(finance, start=D(2026, 3, 5), end=D(2026, 3, 4))
    assert (err.value.code, err.value.field) == ("period_reversed", "end")
    with pytest.raises(ValidationFailed) as err:
        selectors.kpi_params(finance, start=D(2026, 3, 25))
    assert (err.value.code, err.value.field) == ("period_reversed", "start")


def test_frontline_may_not(ledger: Any, org: Any) -> None:
    frontline = make_user(org, "frontline")
    with pytest.raises(PermissionDenied):
        selectors.kpi_params(frontline)
    with pytest.raises(PermissionDenied):
        kpis(frontline)


def test_a_fixed_number_of_queries(ledger: Any, finance: Any) -> None:
    kpis(finance)  # loads the user's organization (its time zone) once
    with CaptureQueriesContext(connection) as ctx:
        kpis(finance)
    first = len(ctx.captured_queries)
    # Twice as many bills and allocations: the same number of queries.
    from anzu.dashboards.tests.conftest import Ledger, local

    book = Ledger.__new__(Ledger)
    book.org, book.payments = ledger["org"], 300
    for name in ("B1", "B2", "B3", "B4", "B6", "B7", "B10"):
        src = ledger["bills"][name]
        bill = book.bill(src.lease, "other", "10.00", src.due_date, paid="10.00")
        book.allocate(bill, "10.00", local(2026, 3, 3))
    with CaptureQueriesContext(connection) as ctx:
        kpis(finance)
    assert len(ctx.captured_queries) == first
    # 3 for the aging, leases, days to collect, 3 for the stages, 3 for the trend.
    assert first == 11


@pytest.mark.parametrize(
    "as_of",
    [D(2025, 12, 1), D(2026, 1, 5), D(2026, 1, 20), D(2026, 2, 5), D(2026, 3, 2), D(2026, 3, 11)],
)
def test_cards_and_trend_agree(ledger: Any, finance: Any, as_of: dt.date) -> None:
    """The cards (today's balances plus what was settled later) and the trend (due minus what
    was settled by then) compute the overdue amount from the two sides of one identity."""
    data = kpis(finance, as_of=as_of, start=as_of.replace(day=1), end=as_of)
    last = data["trend"][-1]
    assert last["as_of"] == as_of
    assert (last["due_amount"], last["overdue_amount"], last["overdue_rate"]) == (
        data["overdue_by_amount"]["due_amount"],
        data["overdue_by_amount"]["overdue_amount"],
        data["overdue_by_amount"]["rate"],
    )
