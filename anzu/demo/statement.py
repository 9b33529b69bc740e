"""A sample bank statement (银行流水, CSV with Chinese headers) for a seeded demo organization.

``anzu demo statement`` writes one for the demo's current open bills, to try the import at
``/billing/statements/``: lines naming a lease number in the memo (matched, score 100), lines
whose payer and amount fit one lease's open bills (matched, 90), a payer known but an amount that
fits nothing (review), strangers (review), and a bank fee (a debit, ignored).
``anzu/demo/fixtures/bank-statement.csv`` is one written for the default demo.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

from django.db.models import F

from anzu.billing.choices import BillStatus
from anzu.billing.models import Bill
from anzu.common import clock
from anzu.core.choices import UserKind
from anzu.core.models import Organization, User
from anzu.leasing.models import Lease

ACCOUNT = "6225 8812 3456 7890"
HEADER = ("交易日期", "流水号", "借贷标志", "金额", "币种", "对方户名", "对方账号", "摘要")
BY_CODE = 4
BY_PAYER = 3


def _payer_account(n: int) -> str:
    return f"6222 02{n % 100:02d} {1000 + n * 37 % 9000:04d} {n * 7919 % 10000:04d}"


def statement_csv(org: Organization, *, today: dt.date | None = None) -> str:
    """The statement's text for ``org`` as of ``today`` (default: the business date)."""
    today = today or clock.today()
    tenants = set(
        User.objects.filter(organization=org, kind=UserKind.TENANT).values_list(
            "customer_id", flat=True
        )
    )
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for lease_id, left in (
        Bill.objects.filter(organization=org, status=BillStatus.OPEN, due_date__lte=today)
        .exclude(customer_id__in=tenants)
        .annotate(left=F("amount") - F("paid_amount"))
        .values_list("lease_id", "left")
    ):
        owed[lease_id] += Decimal(left)
    leases = {
        le.pk: le
        for le in Lease.objects.filter(pk__in=list(owed)).select_related("customer").order_by("id")
    }
    # Customers with one lease only, so that payer + amount points at exactly one lease.
    counts: dict[int, int] = defaultdict(int)
    for customer_id in Lease.objects.filter(
        customer_id__in={le.customer_id for le in leases.values()}
    ).values_list("customer_id", flat=True):
        counts[customer_id] += 1
    chosen = sorted(leases.values(), key=lambda le: le.code)
    by_code = chosen[:BY_CODE]
    by_payer = [le for le in chosen[BY_CODE:] if counts[le.customer_id] == 1][:BY_PAYER]
    rows: list[tuple[str, ...]] = []
    day = today - dt.timedelta(days=1)
    n = 0

    def add(sign: str, amount: Decimal, payer: str, memo: str, account: str = "") -> None:
        nonlocal n
        n += 1
        rows.append(
            (
                day.isoformat(),
                f"CMB{day:%Y%m%d}{n:06d}",
                sign,
                f"{amount:.2f}",
                "CNY",
                payer,
                account or _payer_account(n),
                memo,
            )
        )

    for lease in by_code:
        add("贷", owed[lease.pk], lease.customer.name, f"{lease.code} 房租")
    for lease in by_payer:
        add("贷", owed[lease.pk], lease.customer.name, "房租")
    if by_payer:
        # The payer is a tenant, but the amount fits none of their bills: review.
        add("贷", Decimal("1000.00"), by_payer[0].customer.name, "预存房租")
    add("贷", Decimal("12345.67"), "上海恒远贸易有限公司", "货款")
    add("贷", Decimal("888.00"), "王小明", "转账")
    add("借", Decimal("15.00"), "招商银行", "跨行转账手续费", account="-")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("招商银行账户交易明细",))
    writer.writerow(("账号:", ACCOUNT))
    writer.writerow(("户名:", org.name))
    writer.writerow(())
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()
