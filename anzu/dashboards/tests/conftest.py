"""A small ledger whose KPIs are computed by hand in the tests (see each test's comments).

Rows are written directly (not through the services) so that every creation time is exact:
allocations and deposit offsets are back-dated to the instant given, in Shanghai time.

Leases (organization ``org``):
  L1  unit u1 (project P1), active 2026-01-01 – 2026-12-31
  L2  unit u2 (project P1), active 2026-01-01 – 2026-12-31
  L3  unit u3 (project P2), terminated, ran 2025-06-01 – 2026-02-28
  L4  unit u4 (project P2), active 2026-01-15 – 2027-01-14
Bills (amount, due date) and what settled them (local time):
  B0  L1 deposit 3000.00 due 2025-12-25   paid 2025-12-25             (not a KPI kind)
  B1  L1 rent    3000.00 due 2026-01-01   3000 on 01-05
  B2  L1 rent    3000.00 due 2026-02-01   1000 on 02-03, 2000 on 03-05
  B3  L1 rent    3000.00 due 2026-03-01   unpaid
  B4  L2 rent    2500.00 due 2026-02-15   2500 on 02-10 (early)
  B5  L2 rent    2500.00 due 2026-03-15   2500 on 03-09 (early)
  B6  L2 utility  200.00 due 2026-03-10   unpaid
  B7  L3 rent    4000.00 due 2025-12-01   1500 on 01-20
  B8  L3 late fee 100.00 due 2026-01-10   deposit offset 100 on 03-02
  B9  L3 rent    4000.00 due 2026-01-01   void
  B10 L4 rent    3500.00 due 2026-01-15   1000 on 03-10 23:30, 2500 on 03-11 00:10
Dunning steps (stage on date):
  B2: D+1 02-02, D+3 02-04, D+7 02-08
  B3: T-0 03-01, D+1 03-02, D+3 03-04, D+7 03-08
  B4: T-7 02-08
  B10: D+1 01-16, D+3 01-18, D+7 01-22, D+7F 01-22, D+14 01-29
Another organization has one lease with a bill and a payment that must never show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F

from anzu.billing.choices import BillKind, BillStatus, DepositEntryKind, PaymentChannel
from anzu.billing.dunning.choices import PolicyStatus
from anzu.billing.dunning.models import DunningStep, PolicyVersion
from anzu.billing.dunning.policy import DEFAULT_STAGES
from anzu.billing.models import Allocation, Bill, DepositEntry, Payment
from anzu.common.testing import (
    BuildingFactory,
    CustomerFactory,
    ProjectFactory,
    UnitFactory,
    make_user,
)
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def today() -> Iterator[Any]:
    """Business date 2026-03-20 (Asia/Shanghai): every payment of the ledger is in the past."""
    with time_machine.travel(dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def finance(org: Any) -> Any:
    return make_user(org, "finance", username="finance")


class Ledger:
    """Builds leases, bills, allocations, offsets and steps with exact times."""

    def __init__(self, org: Any) -> None:
        self.org = org
        self.payments = 0
        self.policy = PolicyVersion.objects.create(
            organization=org,
            number=1,
            name="默认催收流程",
            status=PolicyStatus.PUBLISHED,
            stages=DEFAULT_STAGES,
        )

    def lease(
        self, unit: Any, customer: Any, code: str, start: dt.date, until: dt.date, status: str
    ) -> Lease:
        return Lease.objects.create(
            organization=self.org,
            project=unit.project,
            building=unit.building,
            unit=unit,
            customer=customer,
            code=code,
            status=status,
            start_date=start,
            end_date=until if status != LeaseStatus.TERMINATED else dt.date(2026, 5, 31),
            occupied_until=until,
            terminated_on=until if status == LeaseStatus.TERMINATED else None,
            monthly_rent=Decimal("3000.00"),
            deposit=Decimal("3000.00"),
        )

    def bill(
        self,
        lease: Lease,
        kind: str,
        amount: str,
        due: dt.date,
        *,
        paid: str = "0.00",
        status: str | None = None,
    ) -> Bill:
        amount_d, paid_d = Decimal(amount), Decimal(paid)
        if status is None:
            status = BillStatus.PAID if paid_d == amount_d else BillStatus.OPEN
        return Bill.objects.create(
            organization=self.org,
            lease=lease,
            project_id=lease.project_id,
            building_id=lease.building_id,
            unit_id=lease.unit_id,
            customer_id=lease.customer_id,
            kind=kind,
            period_start=due,
            period_end=due + dt.timedelta(days=27),
            due_date=due,
            amount=amount_d,
            paid_amount=paid_d,
            status=status,
        )

    def allocate(self, bill: Bill, amount: str, at: dt.datetime) -> Allocation:
        self.payments += 1
        payment = Payment.objects.create(
            organization=self.org,
            customer_id=bill.customer_id,
            lease_id=bill.lease_id,
            project_id=bill.project_id,
            building_id=bill.building_id,
            channel=PaymentChannel.BANK_TRANSFER,
            amount=Decimal(amount),
            unallocated=Decimal("0.00"),
            received_at=at,
            reference=f"REF-{self.org.pk}-{self.payments}",
        )
        allocation = Allocation.objects.create(payment=payment, bill=bill, amount=Decimal(amount))
        Allocation.objects.filter(pk=allocation.pk).update(created_at=at)
        return allocation

    def pay(self, bill: Bill, amount: str, at: dt.datetime) -> Allocation:
        """An allocation on a bill already in the ledger, with the bill's paid amount and status
        changed as the billing services change them."""
        allocation = self.allocate(bill, amount, at)
        Bill.objects.filter(pk=bill.pk).update(paid_amount=F("paid_amount") + Decimal(amount))
        Bill.objects.filter(pk=bill.pk, paid_amount=F("amount")).update(status=BillStatus.PAID)
        return allocation

    def offset(self, bill: Bill, amount: str, at: dt.datetime) -> DepositEntry:
        entry = DepositEntry.objects.create(
            organization=self.org,
            lease_id=bill.lease_id,
            kind=DepositEntryKind.OFFSET,
            amount=Decimal(amount),
            bill=bill,
        )
        DepositEntry.objects.filter(pk=entry.pk).update(created_at=at)
        return entry

    def step(self, bill: Bill, code: str, on: dt.date) -> DunningStep:
        return DunningStep.objects.create(
            organization=self.org,
            bill=bill,
            lease_id=bill.lease_id,
            due_date=bill.due_date,
            stage_code=code,
            policy_version=self.policy,
            on_date=on,
            created_at=local(on.year, on.month, on.day, 9),
        )


@pytest.fixture
def ledger(portfolio: dict[str, Any], other_org: Any) -> dict[str, Any]:
    org = portfolio["p1"].organization
    book = Ledger(org)
    d = dt.date
    customer = portfolio["customer"]
    other_customer = CustomerFactory(organization=org, name="韩梅梅", project=portfolio["p2"])
    l1 = book.lease(portfolio["u1"], customer, "L1", d(2026, 1, 1), d(2026, 12, 31), "active")
    l2 = book.lease(portfolio["u2"], customer, "L2", d(2026, 1, 1), d(2026, 12, 31), "active")
    l3 = book.lease(
        portfolio["u3"], other_customer, "L3", d(2025, 6, 1), d(2026, 2, 28), "terminated"
    )
    l4 = book.lease(portfolio["u4"], other_customer, "L4", d(2026, 1, 15), d(2027, 1, 14), "active")

    b0 = book.bill(l1, BillKind.DEPOSIT, "3000.00", d(2025, 12, 25), paid="3000.00")
    book.allocate(b0, "3000.00", local(2025, 12, 25))
    b1 = book.bill(l1, BillKind.RENT, "3000.00", d(2026, 1, 1), paid="3000.00")
    book.allocate(b1, "3000.00", local(2026, 1, 5))
    b2 = book.bill(l1, BillKind.RENT, "3000.00", d(2026, 2, 1), paid="3000.00")
    book.allocate(b2, "1000.00", local(2026, 2, 3))
    book.allocate(b2, "2000.00", local(2026, 3, 5))
    b3 = book.bill(l1, BillKind.RENT, "3000.00", d(2026, 3, 1))
    b4 = book.bill(l2, BillKind.RENT, "2500.00", d(2026, 2, 15), paid="2500.00")
    book.allocate(b4, "2500.00", local(2026, 2, 10))
    b5 = book.bill(l2, BillKind.RENT, "2500.00", d(2026, 3, 15), paid="2500.00")
    book.allocate(b5, "2500.00", local(2026, 3, 9))
    b6 = book.bill(l2, BillKind.UTILITY, "200.00", d(2026, 3, 10))
    b7 = book.bill(l3, BillKind.RENT, "4000.00", d(2025, 12, 1), paid="1500.00")
    book.allocate(b7, "1500.00", local(2026, 1, 20))
    b8 = book.bill(l3, BillKind.LATE_FEE, "100.00", d(2026, 1, 10), paid="100.00")
    book.offset(b8, "100.00", local(2026, 3, 2))
    b9 = book.bill(l3, BillKind.RENT, "4000.00", d(2026, 1, 1), status=BillStatus.VOID)
    b10 = book.bill(l4, BillKind.RENT, "3500.00", d(2026, 1, 15), paid="3500.00")
    book.allocate(b10, "1000.00", local(2026, 3, 10, 23, 30))
    book.allocate(b10, "2500.00", local(2026, 3, 11, 0, 10))

    for code, on in (("D+1", d(2026, 2, 2)), ("D+3", d(2026, 2, 4)), ("D+7", d(2026, 2, 8))):
        book.step(b2, code, on)
    for code, on in (
        ("T-0", d(2026, 3, 1)),
        ("D+1", d(2026, 3, 2)),
        ("D+3", d(2026, 3, 4)),
        ("D+7", d(2026, 3, 8)),
    ):
        book.step(b3, code, on)
    book.step(b4, "T-7", d(2026, 2, 8))
    for code, on in (
        ("D+1", d(2026, 1, 16)),
        ("D+3", d(2026, 1, 18)),
        ("D+7", d(2026, 1, 22)),
        ("D+7F", d(2026, 1, 22)),
        ("D+14", d(2026, 1, 29)),
    ):
        book.step(b10, code, on)

    # Another organization: a large overdue bill and a payment in the period, never counted.
    other = Ledger(other_org)
    ounit = UnitFactory(building=BuildingFactory(project=ProjectFactory(organization=other_org)))
    ocustomer = CustomerFactory(organization=other_org)
    olease = other.lease(ounit, ocustomer, "OL1", d(2026, 1, 1), d(2026, 12, 31), "active")
    obill = other.bill(olease, BillKind.RENT, "9999.00", d(2026, 2, 1), paid="999.00")
    other.allocate(obill, "999.00", local(2026, 2, 20))
    other.step(obill, "D+1", d(2026, 2, 2))

    return {
        "org": org,
        "leases": {"L1": l1, "L2": l2, "L3": l3, "L4": l4},
        "bills": {
            "B0": b0,
            "B1": b1,
            "B2": b2,
            "B3": b3,
            "B4": b4,
            "B5": b5,
            "B6": b6,
            "B7": b7,
            "B8": b8,
            "B9": b9,
            "B10": b10,
        },
        "policy": book.policy,
        "other_project": ounit.project,
    }
