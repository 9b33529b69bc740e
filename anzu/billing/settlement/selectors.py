"""Reads of the settlement app: the final statement, the ledger fingerprint, lists, credit report.

The statement mirrors what ``settlement_close`` will do with the billing services, in their
order: damages become "other" charges due on the move-out date; unallocated credit (the lease's
payments and the customer's payments without a lease, as ``credit_apply`` uses it) pays open
bills oldest due first — an unpaid deposit bill included, which adds to the deposit held; the
deposit held then offsets what is still owed; the rest of the deposit is refunded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from anzu.billing.choices import KIND_ORDER, BillKind, BillStatus
from anzu.billing.models import Bill, Payment
from anzu.billing.services import deposit_balance
from anzu.billing.settlement.choices import SettlementStatus
from anzu.billing.settlement.models import InspectionItem, SettlementCase
from anzu.common import clock
from anzu.leasing.models import Lease

ZERO = Decimal("0.00")
# Statement categories, in the order the statement lists them.
CATEGORIES = ("rent", "late_fee", "utility", "property_fee", "other", "damages")
_KIND_CATEGORY = {
    BillKind.RENT.value: "rent",
    BillKind.LATE_FEE.value: "late_fee",
    BillKind.UTILITY.value: "utility",
    BillKind.PROPERTY_FEE.value: "property_fee",
    BillKind.OTHER.value: "other",
}


def _m(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _open_bills(lease_id: int) -> list[Bill]:
    return list(
        Bill.objects.filter(lease_id=lease_id, status=BillStatus.OPEN).order_by("due_date", "id")
    )


def _credit_payments(lease: Lease) -> QuerySet[Payment]:
    """The payments whose unallocated credit ``credit_apply`` would use for this lease."""
    return Payment.objects.filter(
        organization_id=lease.organization_id,
        customer_id=lease.customer_id,
        unallocated__gt=0,
    ).filter(Q(lease_id=lease.pk) | Q(lease__isnull=True))


def ledger_fingerprint(lease: Lease) -> str:
    """SHA-256 of the ledger facts a statement depends on.

    Every bill of the lease (id, kind, status, amount, paid amount, period start, due date),
    the deposit held, and the credit that would be applied. Any payment, charge, late fee,
    refund or offset changes it.
    """
    bills = [
        [pk, kind, status, _m(amount), _m(paid), start.isoformat(), due.isoformat()]
        for pk, kind, status, amount, paid, start, due in Bill.objects.filter(lease_id=lease.pk)
        .order_by("id")
        .values_list("id", "kind", "status", "amount", "paid_amount", "period_start", "due_date")
    ]
    credit = [
        [pk, _m(unallocated)]
        for pk, unallocated in _credit_payments(lease)
        .order_by("id")
        .values_list("id", "unallocated")
    ]
    facts = {
        "lease": [lease.pk, lease.status, lease.occupied_until.isoformat()],
        "bills": bills,
        "deposit_held": _m(deposit_balance(lease.pk)),
        "credit": credit,
    }
    data = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass
class _Owed:
    key: tuple[dt.date, int, float]
    kind: str
    outstanding: Decimal


def compute_statement(
    case: SettlementCase, *, items: list[InspectionItem] | None = None
) -> dict[str, Any]:
    """The final statement of ``case`` from the ledger as it stands (amounts as strings).

    ``blocking_bills`` lists open bills whose period starts after the move-out date: they are
    not owed, and the case cannot be prepared while they are open (the deposit offset would pay
    them). The caller checks it.
    """
    lease = case.lease
    move_out = case.move_out_date
    assert move_out is not None
    if items is None:
        items = list(case.items.all())
    lines: list[dict[str, Any]] = []
    blocking: list[int] = []
    owed: list[_Owed] = []
    totals: dict[str, Decimal] = {c: ZERO for c in CATEGORIES}
    unpaid_deposit = ZERO
    for bill in _open_bills(lease.pk):
        outstanding = bill.amount - bill.paid_amount
        if outstanding <= 0:
            continue
        key = (bill.due_date, KIND_ORDER.get(bill.kind, 99), float(bill.pk))
        if bill.kind == BillKind.DEPOSIT:
            unpaid_deposit += outstanding
            owed.append(_Owed(key, bill.kind, outstanding))
            continue
        if bill.period_start > move_out:
            blocking.append(bill.pk)
            continue
        category = _KIND_CATEGORY.get(bill.kind, "other")
        totals[category] += outstanding
        owed.append(_Owed(key, bill.kind, outstanding))
        lines.append(
            {
                "category": category,
                "bill_id": bill.pk,
                "kind": bill.kind,
                "description": bill.description,
                "period_start": bill.period_start.isoformat(),
                "period_end": bill.period_end.isoformat(),
                "due_date": bill.due_date.isoformat(),
                "amount": _m(bill.amount),
                "paid_amount": _m(bill.paid_amount),
                "outstanding": _m(outstanding),
            }
        )
    damages: list[dict[str, Any]] = []
    for item in items:
        damages.append(
            {
                "area": item.area,
                "item": item.item,
                "condition": item.condition,
                "amount": _m(item.damage_amount),
                "note": item.note,
            }
        )
        if item.damage_amount > 0:
            totals["damages"] += item.damage_amount
            key = (move_out, KIND_ORDER[BillKind.OTHER], float("inf"))
            owed.append(_Owed(key, BillKind.OTHER, item.damage_amount))
    charges = sum((totals[c] for c in CATEGORIES), ZERO)
    credit = sum((p.unallocated for p in _credit_payments(lease)), ZERO)
    held_before = deposit_balance(lease.pk)
    # Credit pays open bills oldest due first (credit_apply), an unpaid deposit bill included.
    available = credit
    credit_to_deposit = ZERO
    credit_to_charges = ZERO
    for entry in sorted(owed, key=lambda o: o.key):
        if available <= 0:
            break
        take = min(entry.outstanding, available)
        available -= take
        if entry.kind == BillKind.DEPOSIT:
            credit_to_deposit += take
        else:
            credit_to_charges += take
    held = held_before + credit_to_deposit
    total_owed = charges - credit_to_charges
    offset = min(held, total_owed)
    refund = held - offset
    still_owed = total_owed - offset
    credit_left = credit - credit_to_charges - credit_to_deposit
    return {
        "lease_id": lease.pk,
        "lease_code": lease.code,
        "customer_name": lease.customer.name,
        "unit": f"{lease.building.name} {lease.unit.code}",
        "move_out_date": move_out.isoformat(),
        "computed_at": clock.now().isoformat(),
        "lines": lines,
        "damages": damages,
        "blocking_bills": blocking,
        "totals": {
            **{c: _m(totals[c]) for c in CATEGORIES},
            "charges": _m(charges),
            "credit": _m(credit),
            "credit_applied": _m(credit_to_charges),
            "credit_to_deposit": _m(credit_to_deposit),
            "credit_left": _m(credit_left),
            "total_owed": _m(total_owed),
            "deposit_held": _m(held),
            "unpaid_deposit": _m(unpaid_deposit - credit_to_deposit),
            "deposit_offset": _m(offset),
            "refund_to_tenant": _m(refund),
            "still_owed": _m(still_owed),
        },
    }


def lease_owed(lease_id: int) -> tuple[Decimal, list[Bill]]:
    """What a lease still owes now: open bills except the deposit bill, oldest due first."""
    bills = [
        b
        for b in Bill.objects.filter(lease_id=lease_id, status=BillStatus.OPEN)
        .exclude(kind=BillKind.DEPOSIT)
        .order_by("due_date", "id")
        if b.amount > b.paid_amount
    ]
    return sum((b.amount - b.paid_amount for b in bills), ZERO), bills


@dataclass
class CaseFilters:
    status: str = ""
    source: str = ""
    lease_id: int | None = None


def case_search(qs: QuerySet[SettlementCase], filters: CaseFilters) -> QuerySet[SettlementCase]:
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.lease_id is not None:
        qs = qs.filter(lease_id=filters.lease_id)
    return qs.order_by("-created_at", "-id")


def status_counts(qs: QuerySet[SettlementCase]) -> dict[str, int]:
    from django.db.models import Count

    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    return {s.value: counts.get(s.value, 0) for s in SettlementStatus}


@dataclass
class DebtRow:
    case: SettlementCase
    owed: Decimal
    overdue_since: dt.date
    bills: list[Bill]


def credit_report_rows(qs: QuerySet[SettlementCase]) -> list[DebtRow]:
    """Closed cases whose lease still owes money (live ledger), by move-out date then id.

    Two queries: the closed cases, then the open bills of all their leases.
    """
    latest: dict[int, SettlementCase] = {}
    for case in (
        qs.filter(status=SettlementStatus.CLOSED)
        .select_related("lease", "customer", "building", "unit")
        .order_by("id")
    ):
        latest[case.lease_id] = case  # a lease settled twice: its latest case
    cases = sorted(latest.values(), key=lambda c: (c.move_out_date or dt.date.min, c.pk))
    by_lease: dict[int, list[Bill]] = {}
    for bill in (
        Bill.objects.filter(lease_id__in={c.lease_id for c in cases}, status=BillStatus.OPEN)
        .exclude(kind=BillKind.DEPOSIT)
        .order_by("due_date", "id")
    ):
        if bill.amount > bill.paid_amount:
            by_lease.setdefault(bill.lease_id, []).append(bill)
    rows: list[DebtRow] = []
    for case in cases:
        bills = by_lease.get(case.lease_id, [])
        owed = sum((b.amount - b.paid_amount for b in bills), ZERO)
        if owed > 0:
            rows.append(DebtRow(case=case, owed=owed, overdue_since=bills[0].due_date, bills=bills))
    return rows
