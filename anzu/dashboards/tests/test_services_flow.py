"""The KPIs over a ledger written by the billing services themselves (generation, payments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import time_machine

from anzu.billing import services as billing_services
from anzu.billing.generation import bills_generate
from anzu.common.testing import lease_data
from anzu.dashboards import selectors
from anzu.leasing import services as leasing_services
from anzu.risk.approvals.testing import approve_as

D = dt.date


def at(day: dt.date) -> Any:
    """10:00 in Shanghai on ``day``."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC))


def test_kpis_follow_the_services_ledger(portfolio: Any, manager: Any, finance: Any) -> None:
    # A 3200/month lease from 2026-01-01: deposit 3200 and rent due 01-01, rent 02-01, 03-01.
    with at(D(2026, 1, 1)):
        data = lease_data(portfolio["u1"], portfolio["customer"])
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        lease = approve_as(leasing_services.lease_activate(lease=lease, by=manager))
        bills_generate(through=D(2026, 3, 31))

    def pay(day: dt.date, amount: str) -> None:
        with at(day):
            billing_services.payment_record(
                by=finance, lease_id=lease.pk, channel="cash", amount=amount
            )

    pay(D(2026, 1, 3), "3200")  # January rent (rent goes before the deposit due the same day)
    pay(D(2026, 1, 5), "3200")  # the deposit: not counted anywhere
    pay(D(2026, 2, 10), "1000")  # February rent, part
    with at(D(2026, 2, 28)):
        on_the_day = selectors.collection_kpis(finance, selectors.kpi_params(finance))
    pay(D(2026, 3, 4), "3000")  # February rent's last 2200, March rent 800

    with at(D(2026, 3, 20)):
        later = selectors.collection_kpis(
            finance,
            selectors.kpi_params(finance, as_of=D(2026, 2, 28), start=D(2026, 2, 1)),
        )
        now = selectors.collection_kpis(
            finance,
            selectors.kpi_params(finance, as_of=D(2026, 3, 10), start=D(2026, 1, 1)),
        )

    # As of 02-28: due 6400, settled 3200 + 1000, overdue 2200 → 34.375% → 34.38.
    expected = {
        "due_amount": Decimal("6400.00"),
        "overdue_amount": Decimal("2200.00"),
        "rate": Decimal("34.38"),
    }
    assert on_the_day["overdue_by_amount"] == expected
    assert later["overdue_by_amount"] == expected  # the 03-04 payment does not change the past
    assert later["aging"] == on_the_day["aging"]
    assert later["overdue_by_lease"] == on_the_day["overdue_by_lease"]

    # As of 03-10: due 9600, settled 7200 → 2400 overdue (March rent) → 25.00.
    assert now["overdue_by_amount"] == {
        "due_amount": Decimal("9600.00"),
        "overdue_amount": Decimal("2400.00"),
        "rate": Decimal("25.00"),
    }
    assert now["overdue_by_lease"] == {"leases": 1, "overdue_leases": 1, "rate": Decimal("100.00")}
    # January rent paid 2 days late, February rent completed on 03-04: 31 days.
    assert now["days_to_collect"] == {
        "bills": 2,
        "mean": Decimal("16.50"),
        "median": Decimal("16.50"),
    }
    # No dunning step was recorded: everything is "none"; the deposit is left out.
    assert now["collection_by_stage"]["stages"] == [
        {
            "stage": "none",
            "name": "",
            "amount": Decimal("7200.00"),
            "bills": 3,
            "allocations": 4,
        }
    ]
    assert [p["collected"] for p in now["trend"][-3:]] == [
        Decimal("3200.00"),
        Decimal("1000.00"),
        Decimal("3000.00"),
    ]
