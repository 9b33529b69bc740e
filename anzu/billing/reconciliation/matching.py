"""Matching a bank credit to a lease: candidates with a score and the reasons behind it.

Rules, strongest first (scores out of 100):

* **reference** (100): the memo (摘要/附言) names a lease code (``L2026-000001``, or any code of
  the organization's leases written as one word) or a bill (``账单123``, ``BILL-123``,
  ``ZD123``: the bill's id).
* **payer + amount** (90): the payer name equals a customer's name and the amount equals the
  outstanding amount of one of that customer's open bills, or the sum of a lease's open bills
  due up to today.
* **payer only** (50): the payer name equals a customer's name, the amount fits nothing.
* **amount only** (30): an open bill of the organization (or a lease's open bills due up to
  today) has exactly this amount, as read when the import starts. Never accepted automatically.

A line is matched when exactly one lease scores at least :data:`THRESHOLD`, or when the best
one leads every other such lease by :data:`MARGIN` (a lease number in the memo, 100, beats the
payer's other lease that merely fits the amount, 90). Otherwise it goes to the review queue
with the candidates as suggestions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from anzu.billing.choices import BillStatus
from anzu.billing.models import Bill
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Customer, Lease

THRESHOLD = 80
# How far the best candidate must lead the next one at or above the threshold.
MARGIN = 10
SCORE_REFERENCE = 100
SCORE_PAYER_AMOUNT = 90
SCORE_PAYER_ONLY = 50
SCORE_AMOUNT_ONLY = 30
MAX_CANDIDATES = 5
# Customers sharing one payer name looked at, at most.
MAX_NAME_MATCHES = 10

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-/.]*[A-Za-z0-9]")
BILL_PATTERN = re.compile(
    r"(?:账单|(?<![A-Za-z0-9])(?:BILL|ZD))\s*[#:：\-]?\s*(\d{1,12})", re.IGNORECASE
)
OUTSTANDING = ExpressionWrapper(
    F("amount") - F("paid_amount"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


@dataclass
class Candidate:
    lease_id: int | None
    customer_id: int
    method: str
    score: int
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lease_id": self.lease_id,
            "customer_id": self.customer_id,
            "method": self.method,
            "score": self.score,
            "reasons": self.reasons,
        }


@dataclass
class Decision:
    candidates: list[Candidate]
    chosen: Candidate | None
    reasons: list[dict[str, Any]]


def memo_tokens(memo: str) -> set[str]:
    """Words of the memo that could be lease codes, as written and upper-cased."""
    tokens = set(_TOKEN.findall(memo or ""))
    return tokens | {t.upper() for t in tokens}


def bill_ids_in(memo: str) -> set[int]:
    return {int(m) for m in BILL_PATTERN.findall(memo or "")}


def _normalize_name(name: str) -> str:
    return "".join((name or "").split())


class _Collector:
    def __init__(self) -> None:
        self.by_key: dict[tuple[int | None, int], Candidate] = {}

    def add(
        self,
        *,
        lease_id: int | None,
        customer_id: int,
        method: str,
        score: int,
        reason: dict[str, Any],
        only_new: bool = False,
    ) -> None:
        """Add a candidate or strengthen a known one (one reason per kind is kept)."""
        key = (lease_id, customer_id)
        found = self.by_key.get(key)
        if found is None:
            self.by_key[key] = Candidate(lease_id, customer_id, method, score, [reason])
            return
        if only_new:
            return
        if all(r["code"] != reason["code"] for r in found.reasons):
            found.reasons.append(reason)
        if score > found.score:
            found.score, found.method = score, method

    def ranked(self) -> list[Candidate]:
        return sorted(
            self.by_key.values(), key=lambda c: (-c.score, c.lease_id or 0, c.customer_id)
        )


def _open_bills(organization_id: int) -> Any:
    return (
        Bill.objects.filter(organization_id=organization_id, status=BillStatus.OPEN)
        .exclude(lease__status=LeaseStatus.VOID)
        .annotate(outstanding_amount=OUTSTANDING)
    )


def _chunks(values: set[Any], size: int = 500) -> list[list[Any]]:
    items = sorted(values, key=str)
    return [items[i : i + size] for i in range(0, len(items), size)]


class Matcher:
    """Finds candidates for the credits of one statement.

    What does not change while the statement's payments are recorded is read once, for all its
    lines (:meth:`prefetch`): lease numbers and bills named in memos, customers by payer name,
    and the amount-only suggestions. Whether a payer's open bills fit the amount is read per
    line, after the payments of the lines before it.
    """

    def __init__(self, *, organization_id: int, today: dt.date) -> None:
        self.organization_id = organization_id
        self.today = today
        self.leases_by_code: dict[str, tuple[int, int]] = {}
        self.bills_by_id: dict[int, tuple[int, int]] = {}
        self.customers_by_name: dict[str, list[int]] = {}
        self.bills_by_amount: dict[Decimal, list[tuple[int, int, int]]] = {}
        self.due_totals_by_amount: dict[Decimal, list[tuple[int, int]]] = {}

    def prefetch(self, lines: list[tuple[Decimal, str, str]]) -> None:
        """Read what ``(amount, memo, payer name)`` lines refer to: a handful of queries."""
        org = self.organization_id
        tokens: set[str] = set()
        bill_ids: set[int] = set()
        names: set[str] = set()
        amounts: set[Decimal] = set()
        for amount, memo, payer_name in lines:
            tokens |= memo_tokens(memo)
            bill_ids |= bill_ids_in(memo)
            if payer_name.strip():
                names |= {_normalize_name(payer_name), payer_name.strip()}
            amounts.add(amount)
        leases = Lease.objects.filter(organization_id=org).exclude(status=LeaseStatus.VOID)
        for chunk in _chunks(tokens):
            for lease_id, customer_id, code in leases.filter(code__in=chunk).values_list(
                "id", "customer_id", "code"
            ):
                self.leases_by_code[code] = (lease_id, customer_id)
        for chunk in _chunks(bill_ids):
            for bill_id, lease_id, customer_id in (
                Bill.objects.filter(organization_id=org, pk__in=chunk)
                .exclude(status=BillStatus.VOID)
                .exclude(lease__status=LeaseStatus.VOID)
                .values_list("id", "lease_id", "customer_id")
            ):
                self.bills_by_id[bill_id] = (lease_id, customer_id)
        for chunk in _chunks(names):
            for customer_id, name in (
                Customer.objects.filter(organization_id=org, name__in=chunk)
                .order_by("id")
                .values_list("id", "name")
            ):
                self.customers_by_name.setdefault(name, []).append(customer_id)
        bills = _open_bills(org)
        for chunk in _chunks(amounts):
            for bill_id, lease_id, customer_id, outstanding in (
                bills.filter(outstanding_amount__in=chunk)
                .order_by("due_date", "id")
                .values_list("id", "lease_id", "customer_id", "outstanding_amount")
            ):
                found = self.bills_by_amount.setdefault(Decimal(outstanding), [])
                if len(found) < MAX_CANDIDATES:
                    found.append((bill_id, lease_id, customer_id))
            for row in (
                bills.filter(due_date__lte=self.today)
                .values("lease_id", "customer_id")
                .annotate(total=Sum(OUTSTANDING))
                .filter(total__in=chunk)
                .order_by("lease_id")
            ):
                totals = self.due_totals_by_amount.setdefault(Decimal(row["total"]), [])
                if len(totals) < MAX_CANDIDATES:
                    totals.append((row["lease_id"], row["customer_id"]))

    def _customers(self, payer_name: str) -> list[int]:
        name = _normalize_name(payer_name)
        if not name:
            return []
        found = self.customers_by_name.get(name) or self.customers_by_name.get(
            payer_name.strip(), []
        )
        return found[:MAX_NAME_MATCHES]

    def find(self, *, amount: Decimal, memo: str, payer_name: str) -> list[Candidate]:
        """All candidates for a credit of ``amount``, best first."""
        found = _Collector()
        today = self.today
        # (a) reference: a lease number or a bill number in the memo.
        for code in sorted(memo_tokens(memo)):
            if code in self.leases_by_code:
                lease_id, customer_id = self.leases_by_code[code]
                found.add(
                    lease_id=lease_id,
                    customer_id=customer_id,
                    method="reference",
                    score=SCORE_REFERENCE,
                    reason={"code": "lease_code_in_memo", "lease_code": code},
                )
        for bill_id in sorted(bill_ids_in(memo)):
            if bill_id in self.bills_by_id:
                lease_id, customer_id = self.bills_by_id[bill_id]
                found.add(
                    lease_id=lease_id,
                    customer_id=customer_id,
                    method="reference",
                    score=SCORE_REFERENCE,
                    reason={"code": "bill_in_memo", "bill_id": bill_id},
                )
        # (b) payer name equal to a customer's name, with or without a fitting amount.
        customer_ids = self._customers(payer_name)
        if customer_ids:
            self._payer_candidates(found, customer_ids, amount)
        # (c) amount only: suggestions, never accepted on their own.
        for bill_id, lease_id, customer_id in self.bills_by_amount.get(amount, []):
            found.add(
                lease_id=lease_id,
                customer_id=customer_id,
                method="amount",
                score=SCORE_AMOUNT_ONLY,
                reason={"code": "bill_amount", "bill_id": bill_id},
                only_new=True,
            )
        for lease_id, customer_id in self.due_totals_by_amount.get(amount, []):
            found.add(
                lease_id=lease_id,
                customer_id=customer_id,
                method="amount",
                score=SCORE_AMOUNT_ONLY,
                reason={"code": "due_total", "due_by": today.isoformat()},
                only_new=True,
            )
        return found.ranked()[: MAX_CANDIDATES * 2]

    def _payer_candidates(
        self, found: _Collector, customer_ids: list[int], amount: Decimal
    ) -> None:
        """The payer's open bills as they are now (after earlier lines' payments)."""
        open_bills = _open_bills(self.organization_id).filter(customer_id__in=customer_ids)
        for bill_id, lease_id, customer_id in (
            open_bills.filter(outstanding_amount=amount)
            .order_by("due_date", "id")
            .values_list("id", "lease_id", "customer_id")[:MAX_CANDIDATES]
        ):
            found.add(
                lease_id=lease_id,
                customer_id=customer_id,
                method="payer_amount",
                score=SCORE_PAYER_AMOUNT,
                reason={"code": "payer_bill_amount", "bill_id": bill_id},
            )
        for row in (
            open_bills.filter(due_date__lte=self.today)
            .values("lease_id", "customer_id")
            .annotate(total=Sum(OUTSTANDING))
            .filter(total=amount)
            .order_by("lease_id")[:MAX_CANDIDATES]
        ):
            found.add(
                lease_id=row["lease_id"],
                customer_id=row["customer_id"],
                method="payer_amount",
                score=SCORE_PAYER_AMOUNT,
                reason={"code": "payer_due_total", "due_by": self.today.isoformat()},
            )
        for lease_id, customer_id in (
            Lease.objects.filter(organization_id=self.organization_id, customer_id__in=customer_ids)
            .exclude(status__in=(LeaseStatus.VOID, LeaseStatus.DRAFT))
            .order_by("-start_date", "id")
            .values_list("id", "customer_id")[:MAX_CANDIDATES]
        ):
            found.add(
                lease_id=lease_id,
                customer_id=customer_id,
                method="payer",
                score=SCORE_PAYER_ONLY,
                reason={"code": "payer_name"},
                only_new=True,
            )
        with_lease = {c.customer_id for c in found.by_key.values() if c.lease_id}
        for customer_id in customer_ids:
            if customer_id not in with_lease:
                found.add(
                    lease_id=None,
                    customer_id=customer_id,
                    method="payer",
                    score=SCORE_PAYER_ONLY,
                    reason={"code": "payer_name"},
                )


def find_candidates(
    *, organization_id: int, amount: Decimal, memo: str, payer_name: str, today: dt.date
) -> list[Candidate]:
    """All candidates for one credit (a :class:`Matcher` for one line)."""
    matcher = Matcher(organization_id=organization_id, today=today)
    matcher.prefetch([(amount, memo, payer_name)])
    return matcher.find(amount=amount, memo=memo, payer_name=payer_name)


def decide(candidates: list[Candidate]) -> Decision:
    """Matched when one lease leads: at or above the threshold, and :data:`MARGIN` ahead of any
    other candidate at or above the threshold (a lease number in the memo beats payer + amount);
    review otherwise."""
    strong = sorted(
        (c for c in candidates if c.score >= THRESHOLD and c.lease_id is not None),
        key=lambda c: -c.score,
    )
    if not strong:
        if candidates:
            return Decision(candidates, None, [{"code": "below_threshold", "threshold": THRESHOLD}])
        return Decision(candidates, None, [{"code": "no_candidate"}])
    best = strong[0]
    if len(strong) == 1 or best.score - strong[1].score >= MARGIN:
        return Decision(candidates, best, [{"code": "single_candidate", "score": best.score}])
    ties = [c for c in strong if best.score - c.score < MARGIN]
    return Decision(candidates, None, [{"code": "ambiguous", "count": len(ties)}])
