"""The bill generation run (``anzu bills generate``), set-based and idempotent.

One run, for a ``through`` date:

1. **Deposits and rent.** Every billed lease (active, terminated or expired) without a
   :class:`~anzu.billing.models.BillingCursor` has never been billed: it gets its deposit bill
   (due on the start date). Then the leases whose next rent period starts on or before
   ``through`` (per their cursor, or all periods when there is none) get their periods, and
   each lease's cursor moves; each chunk of leases commits its bills and cursors together.

   * PostgreSQL: one statement per range of :data:`CHUNK_IN_DATABASE` lease ids writes the
     deposits, the periods of the *regular* leases (whole lease months at a constant rent) and
     their cursors (:func:`anzu.billing.bulk.generate_rent_chunk`); the few irregular leases
     (rent-free days, an escalated month, a partial last period) come back and are computed
     here with :mod:`anzu.billing.schedule`, then copied in. After a large first run the bill
     table is analysed so that the later steps are planned on its real size.
   * SQLite: deposits in one ``INSERT … SELECT``, then leases read in chunks of :data:`CHUNK`
     ordered by id, every period computed here and written by :mod:`anzu.billing.bulk`.

   The unique keys ``(lease, kind, period_start)`` make a repeated run insert nothing.
2. **Termination.** Open, wholly unpaid rent bills of terminated leases whose period starts
   after the termination date are voided, with their unpaid late fees (two UPDATEs).
3. **Late fees**, as of ``min(through, today)``: see :func:`accrue_late_fees` (on PostgreSQL
   computed in the database, a few statements per range of lease ids).
4. **Credit.** Customers holding unallocated credit have it applied to their open bills.

No step issues a query per lease: the work is a few statements per chunk of leases.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q

from anzu.billing import bulk
from anzu.billing.choices import LATE_FEE_BASE_KINDS, BillKind, BillStatus
from anzu.billing.models import Bill, Payment
from anzu.billing.schedule import ONE_DAY, RentSchedule, cents, parse_periods
from anzu.common import clock
from anzu.core import audit
from anzu.core.models import User
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease

CHUNK = 10000
# Lease ids per chunk when the database computes the regular schedules (PostgreSQL).
CHUNK_IN_DATABASE = 50_000
BILLED_LEASE_STATUSES = (LeaseStatus.ACTIVE, LeaseStatus.TERMINATED, LeaseStatus.EXPIRED)
# The daily task bills this many days ahead, so every bill exists well before the T-7 reminder
# even when it falls due up to 31 days before its period starts.
HORIZON_DAYS = 40

_LEASE_FIELDS = (
    "id",
    "organization_id",
    "project_id",
    "building_id",
    "unit_id",
    "customer_id",
    "start_date",
    "occupied_until",
    "monthly_rent",
    "pay_months",
    "due_day_rule",
    "due_day_value",
    "rent_free_periods",
    "escalation_pct",
    "escalation_every_months",
    "billing_cursor__lease_id",
    "billing_cursor__next_rent_index",
)


def schedule_for(lease: Lease) -> RentSchedule:
    """The rent schedule of a lease object (used by pages and tests)."""
    return RentSchedule(
        start=lease.start_date,
        last_day=lease.occupied_until,
        monthly_rent=lease.monthly_rent,
        pay_months=lease.pay_months,
        due_rule=lease.due_day_rule,
        due_value=lease.due_day_value,
        rent_free=parse_periods(lease.rent_free_periods),
        escalation_pct=lease.escalation_pct,
        escalation_every=lease.escalation_every_months,
    )


def _generate_chunk(
    rows: list[tuple[Any, ...]], through: dt.date, counts: dict[int, Counter[str]]
) -> None:
    now = clock.now()
    zero = Decimal("0.00")
    bills: list[tuple[Any, ...]] = []
    cursors: list[tuple[int, int, dt.date | None]] = []
    rent, open_, paid = BillKind.RENT.value, BillStatus.OPEN.value, BillStatus.PAID.value
    for row in rows:
        lease_id, org_id, project_id, building_id, unit_id, customer_id = row[:6]
        start, last_day, monthly_rent, pay_months = row[6:10]
        has_cursor = row[15] is not None
        first_index = row[16] if has_cursor else 0
        schedule = RentSchedule(
            start=start,
            last_day=last_day,
            monthly_rent=monthly_rent,
            pay_months=pay_months,
            due_rule=row[10],
            due_value=row[11],
            rent_free=parse_periods(row[12]) if row[12] else None,
            escalation_pct=row[13],
            escalation_every=row[14],
        )
        head = (org_id, lease_id, project_id, building_id, unit_id, customer_id)
        periods = schedule.periods_through(through, first_index=first_index)
        for p in periods:
            # A wholly rent-free period is a ¥0.00 bill, settled at once.
            status = open_ if p.amount else paid
            bills.append(
                (
                    *head,
                    rent,
                    p.start,
                    p.end,
                    p.due_date,
                    p.amount,
                    zero,
                    status,
                    "",
                    None,
                    now,
                    now,
                )
            )
        next_index = first_index + len(periods)
        cursors.append((lease_id, next_index, schedule.next_start_after(next_index)))
    for (org_id, kind), n in bulk.insert_bills(bills).items():
        counts[org_id][f"{kind}_bills_created"] += n
    bulk.upsert_cursors(cursors)


def generate_rent_and_deposits(*, through: dt.date, counts: dict[int, Counter[str]]) -> int:
    """Step 1; returns the number of leases read.

    Every lease with work to do (no cursor yet, or its next period starts on or before
    ``through``) is taken in chunks of :data:`CHUNK` by id; each chunk commits its bills and
    cursors together. On PostgreSQL one statement per chunk writes the deposits, the regular
    rent periods and their cursors (:func:`anzu.billing.bulk.generate_rent_chunk`); only the
    irregular leases are computed here. Elsewhere deposits are one INSERT … SELECT, then every
    lease's periods are computed here.
    """
    statuses = tuple(s.value for s in BILLED_LEASE_STATUSES)
    postgres = connection.vendor == "postgresql"
    if not postgres:
        with transaction.atomic():
            for org_id, n in bulk.insert_deposit_bills(
                statuses=statuses,  # type: ignore[arg-type]
                now=clock.now(),
            ).items():
                counts[org_id]["deposit_bills_created"] += n
    if postgres:
        # Fixed ranges of lease ids: one statement per range finds the leases with work.
        bounds = Lease.objects.aggregate(lo=Min("id"), hi=Max("id"))
        if bounds["lo"] is None:
            return 0
        scanned = 0
        lo = bounds["lo"] - 1
        while lo < bounds["hi"]:
            hi = min(lo + CHUNK_IN_DATABASE, bounds["hi"])
            with transaction.atomic():
                bulk.relax_commit()
                read, inserted, rows = bulk.generate_rent_chunk(
                    lo=lo, hi=hi, through=through, statuses=statuses, now=clock.now()
                )
                for (org_id, kind), n in inserted.items():
                    counts[org_id][f"{kind}_bills_created"] += n
                _generate_chunk(rows, through, counts)
            scanned += read
            lo = hi
        return scanned
    qs = (
        Lease.objects.filter(status__in=BILLED_LEASE_STATUSES)
        .filter(Q(billing_cursor__isnull=True) | Q(billing_cursor__next_rent_start__lte=through))
        .order_by("id")
    )
    last_id = 0
    scanned = 0
    while True:
        rows = list(qs.filter(id__gt=last_id).values_list(*_LEASE_FIELDS)[:CHUNK])
        if not rows:
            return scanned
        last_id = rows[-1][0]
        scanned += len(rows)
        with transaction.atomic():
            _generate_chunk(rows, through, counts)


def void_after_termination(*, counts: dict[int, Counter[str]]) -> None:
    """Step 2: open, unpaid rent bills for periods that start after a lease was terminated."""
    qs = Bill.objects.filter(
        kind=BillKind.RENT,
        status=BillStatus.OPEN,
        paid_amount=0,
        lease__status=LeaseStatus.TERMINATED,
        period_start__gt=F("lease__occupied_until"),
    )
    with transaction.atomic():
        bulk.relax_commit()
        per_org = Counter(qs.values_list("organization_id", flat=True))
        if per_org:
            qs.update(status=BillStatus.VOID)
        for org_id, n in per_org.items():
            counts[org_id]["rent_bills_voided"] += n
        # Their unpaid late fees go with them.
        fees = Bill.objects.filter(
            kind=BillKind.LATE_FEE,
            status=BillStatus.OPEN,
            paid_amount=0,
            source_bill__status=BillStatus.VOID,
        )
        per_org = Counter(fees.values_list("organization_id", flat=True))
        if per_org:
            fees.update(status=BillStatus.VOID)
        for org_id, n in per_org.items():
            counts[org_id]["late_fee_bills_voided"] += n


def late_fee_amount(
    *,
    outstanding: Decimal,
    due: dt.date,
    grace_days: int,
    daily_rate: Decimal,
    as_of: dt.date,
) -> tuple[Decimal, dt.date]:
    """The late fee on a bill as of a date, and the first day it accrues.

    ``outstanding × daily_rate × days``, where days counts from the day after the grace period
    (``due + grace + 1``) through ``as_of`` inclusive; rounded to cents, ROUND_HALF_UP.
    """
    first_day = due + dt.timedelta(days=grace_days) + ONE_DAY
    days = (as_of - first_day).days + 1
    if days <= 0 or outstanding <= 0 or daily_rate <= 0:
        return Decimal("0.00"), first_day
    return cents(outstanding * daily_rate * days), first_day


def accrue_late_fees(*, as_of: dt.date, counts: dict[int, Counter[str]]) -> None:
    """Step 3: one late-fee bill per overdue bill, recomputed while that bill is unpaid.

    For an open rent, property-fee, utility or other bill of a lease with a daily late-fee rate,
    the fee as of ``as_of`` is :func:`late_fee_amount` on the bill's amount still unpaid. The
    late-fee bill (kind ``late_fee``, ``source_bill`` = the overdue bill, due on the day it was
    first charged) is created the first day the fee is positive, and afterwards raised to the
    recomputed fee when that is higher — a charged fee is never reduced by a later partial
    payment. Once the overdue bill is paid (or void) its fee stops changing. Late fees do not
    accrue on deposits nor on late fees.
    """
    if connection.vendor == "postgresql":
        _accrue_late_fees_in_database(as_of=as_of, counts=counts)
        return
    base = (
        Bill.objects.filter(
            status=BillStatus.OPEN,
            kind__in=LATE_FEE_BASE_KINDS,
            due_date__lt=as_of,
            lease__late_fee_daily_rate__gt=0,
        )
        # A fee already accrued through as_of cannot grow (the unpaid amount only shrinks).
        .filter(~Exists(Bill.objects.filter(source_bill_id=OuterRef("pk"), period_end__gte=as_of)))
        .order_by("id")
        .values_list(
            "id",
            "organization_id",
            "project_id",
            "building_id",
            "unit_id",
            "customer_id",
            "lease_id",
            "due_date",
            "amount",
            "paid_amount",
            "lease__late_fee_daily_rate",
            "lease__late_fee_grace_days",
        )
    )
    last_id = 0
    while True:
        rows = list(base.filter(id__gt=last_id)[:CHUNK])
        if not rows:
            return
        last_id = rows[-1][0]
        fees: dict[int, tuple[Decimal, dt.date, tuple[Any, ...]]] = {}
        for row in rows:
            fee, first_day = late_fee_amount(
                outstanding=row[8] - row[9],
                due=row[7],
                grace_days=row[11],
                daily_rate=row[10],
                as_of=as_of,
            )
            if fee > 0:
                fees[row[0]] = (fee, first_day, row)
        if not fees:
            continue
        with transaction.atomic():
            bulk.relax_commit()
            existing = {
                source_id: (pk, amount)
                for source_id, pk, amount in Bill.objects.filter(
                    source_bill_id__in=list(fees)
                ).values_list("source_bill_id", "id", "amount")
            }
            now = clock.now()
            new: list[tuple[Any, ...]] = []
            raised: list[tuple[int, Decimal, dt.date]] = []
            for source_id, (fee, first_day, row) in fees.items():
                if source_id in existing:
                    pk, amount = existing[source_id]
                    if fee > amount:
                        raised.append((pk, fee, as_of))
                    continue
                new.append(
                    (
                        row[1],
                        row[6],
                        row[2],
                        row[3],
                        row[4],
                        row[5],
                        BillKind.LATE_FEE.value,
                        first_day,
                        as_of,
                        as_of,
                        fee,
                        Decimal("0.00"),
                        BillStatus.OPEN.value,
                        "",
                        source_id,
                        now,
                        now,
                    )
                )
            for (org_id, _kind), n in bulk.insert_bills(new).items():
                counts[org_id]["late_fee_bills_created"] += n
            for org_id, n in bulk.raise_bill_amounts(raised, now=now).items():
                counts[org_id]["late_fee_bills_raised"] += n


# Lease ids per late-fee transaction on PostgreSQL.
FEE_LEASE_RANGE = 200_000


def _accrue_late_fees_in_database(*, as_of: dt.date, counts: dict[int, Counter[str]]) -> None:
    """:func:`accrue_late_fees` on PostgreSQL: a few statements per range of lease ids."""
    bounds = Lease.objects.filter(late_fee_daily_rate__gt=0).aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return
    kinds = tuple(k.value for k in LATE_FEE_BASE_KINDS)
    lo = bounds["lo"] - 1
    while lo < bounds["hi"]:
        hi = min(lo + FEE_LEASE_RANGE, bounds["hi"])
        with transaction.atomic():
            bulk.relax_commit()
            created, raised = bulk.accrue_late_fees(
                lo=lo, hi=hi, as_of=as_of, kinds=kinds, now=clock.now()
            )
        for org_id, n in created.items():
            counts[org_id]["late_fee_bills_created"] += n
        for org_id, n in raised.items():
            counts[org_id]["late_fee_bills_raised"] += n
        lo = hi


def apply_credit(*, counts: dict[int, Counter[str]]) -> None:
    """Step 4: unallocated credit goes to open bills (only customers holding credit are read)."""
    from anzu.billing import services

    holders = (
        Payment.objects.filter(unallocated__gt=0)
        .values_list("organization_id", "customer_id", "lease_id")
        .distinct()
        .order_by("organization_id", "customer_id", "lease_id")
    )
    for org_id, customer_id, lease_id in list(holders):
        applied = services.credit_apply(
            organization_id=org_id, customer_id=customer_id, lease_id=lease_id, by=None
        )
        if applied:
            counts[org_id]["credit_applied"] += 1


def bills_generate(
    *, through: dt.date, today: dt.date | None = None, by: User | None = None
) -> dict[str, Any]:
    """Run the generation for ``through``; late fees accrue as of ``min(through, today)``.

    Returns a summary. Running it twice for the same dates creates and changes nothing.
    """
    as_of = min(through, today or clock.today())
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    scanned = generate_rent_and_deposits(through=through, counts=counts)
    bulk.refresh_statistics(
        inserted=sum(c["rent_bills_created"] + c["deposit_bills_created"] for c in counts.values())
    )
    void_after_termination(counts=counts)
    accrue_late_fees(as_of=as_of, counts=counts)
    apply_credit(counts=counts)
    totals: Counter[str] = Counter()
    for org_id, org_counts in sorted(counts.items()):
        if not any(org_counts.values()):
            continue
        totals.update(org_counts)
        with transaction.atomic():
            audit.record(
                action="bills.generate",
                object_type="billing.run",
                object_id=through.isoformat(),
                organization=org_id,
                actor=by,
                changes={"through": through, "as_of": as_of, **dict(sorted(org_counts.items()))},
            )
    keys = (
        "rent_bills_created",
        "deposit_bills_created",
        "late_fee_bills_created",
        "late_fee_bills_raised",
        "rent_bills_voided",
        "late_fee_bills_voided",
        "credit_applied",
    )
    summary: dict[str, Any] = {
        "through": through.isoformat(),
        "late_fees_as_of": as_of.isoformat(),
        "leases_read": scanned,
    }
    summary.update({key: totals.get(key, 0) for key in keys})
    summary["bills_created"] = (
        summary["rent_bills_created"]
        + summary["deposit_bills_created"]
        + summary["late_fee_bills_created"]
    )
    return summary
