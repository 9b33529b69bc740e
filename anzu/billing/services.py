"""Writes of the billing app: charges, payments, allocation, credit, refunds, the deposit ledger.

Every balance change happens in one transaction that first locks the rows it changes, always in
the same order — the lease (deposit operations), then bills by id, then payments by id — and
then changes each balance with a single ``UPDATE … SET x = x ± amount`` (``F()``), so concurrent
writers queue instead of overwriting each other. Every write is audited in its transaction.

Allocation order: open bills by due date, then by kind (rent, deposit, property fee,
utilities, late fee, other), then by id. A lease's payment goes to that lease's open bills; a
payment recorded for a customer without a lease goes to all the customer's open bills. What is
left is credit (``Payment.unallocated``), applied to later bills as they are created.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext_noop

from anzu.billing import hooks
from anzu.billing.choices import (
    KIND_ORDER,
    MANUAL_KINDS,
    BillKind,
    BillStatus,
    DepositEntryKind,
    PaymentChannel,
    RefundKind,
)
from anzu.billing.models import Allocation, Bill, DepositEntry, Payment, Refund
from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, NotFound, ValidationFailed
from anzu.common.money import to_money
from anzu.core import access, audit
from anzu.core.models import User
from anzu.leasing import access as leasing_access
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Customer, Lease
from anzu.risk.approvals.guard import guard
from anzu.risk.approvals.models import ApprovalRequest

ZERO = Decimal("0.00")
CHARGEABLE_LEASE_STATUSES = (LeaseStatus.ACTIVE, LeaseStatus.TERMINATED, LeaseStatus.EXPIRED)

# Fixed messages of this module, listed for translation.
MESSAGES = [
    gettext_noop("Unknown lease."),
    gettext_noop("Unknown customer."),
    gettext_noop("Give a lease or a customer."),
    gettext_noop("The lease is void; no payment can be recorded against it."),
    gettext_noop("The customer is not the lease's customer."),
    gettext_noop("Charges can be added only to active, terminated or expired leases."),
    gettext_noop("The period ends before it starts."),
    gettext_noop("Choose property fee, utilities or other."),
    gettext_noop("More than the payment's unallocated credit."),
    gettext_noop("More than the deposit held."),
    gettext_noop("No deposit is held for this lease."),
    gettext_noop("The deposit is offset at move-out: terminate the lease or let it expire first."),
    gettext_noop("Enter a valid date and time."),
]


# Helpers ------------------------------------------------------------------------------------


def _bill_sort_key(bill: Bill) -> tuple[dt.date, int, int]:
    return (bill.due_date, KIND_ORDER.get(bill.kind, 99), bill.pk)


def _lock_open_bills(qs: QuerySet[Bill]) -> list[Bill]:
    """Lock the open bills of ``qs`` in id order and return them in allocation order."""
    locked = list(qs.filter(status=BillStatus.OPEN).select_for_update().order_by("id"))
    return sorted((b for b in locked if b.amount > b.paid_amount), key=_bill_sort_key)


def _pay_bill(bill: Bill, amount: Decimal) -> None:
    """Add ``amount`` to a locked bill's paid amount; it becomes paid when fully covered."""
    Bill.objects.filter(pk=bill.pk).update(
        paid_amount=F("paid_amount") + amount,
        status=Case(
            When(amount=F("paid_amount") + amount, then=Value(BillStatus.PAID)),
            default=Value(BillStatus.OPEN),
        ),
        updated_at=clock.now(),
    )
    bill.paid_amount += amount
    if bill.paid_amount == bill.amount:
        bill.status = BillStatus.PAID


def _allocate(payments: list[Payment], bills: list[Bill]) -> list[Allocation]:
    """Spread the locked payments' credit over the locked bills, oldest due first."""
    allocations: list[Allocation] = []
    deposits: list[DepositEntry] = []
    bill_iter = iter(bills)
    bill = next(bill_iter, None)
    for payment in payments:
        available = payment.unallocated
        used = ZERO
        while bill is not None and available > 0:
            due = bill.amount - bill.paid_amount
            take = min(due, available)
            _pay_bill(bill, take)
            allocations.append(Allocation(payment=payment, bill=bill, amount=take))
            if bill.kind == BillKind.DEPOSIT:
                deposits.append(
                    DepositEntry(
                        organization_id=bill.organization_id,
                        lease_id=bill.lease_id,
                        kind=DepositEntryKind.HELD,
                        amount=take,
                        bill=bill,
                        payment=payment,
                    )
                )
            available -= take
            used += take
            if bill.paid_amount == bill.amount:
                bill = next(bill_iter, None)
        if used:
            Payment.objects.filter(pk=payment.pk).update(unallocated=F("unallocated") - used)
            payment.unallocated -= used
        if bill is None:
            break
    Allocation.objects.bulk_create(allocations)
    DepositEntry.objects.bulk_create(deposits)
    return allocations


def _bills_for(*, organization_id: int, customer_id: int, lease_id: int | None) -> QuerySet[Bill]:
    qs = Bill.objects.filter(organization_id=organization_id)
    if lease_id is not None:
        return qs.filter(lease_id=lease_id)
    return qs.filter(customer_id=customer_id)


def _allocation_log(allocations: list[Allocation]) -> list[list[Any]]:
    return [[a.bill.pk, a.amount] for a in allocations]


def _date_time(value: Any, *, field: str) -> dt.datetime:
    if value in (None, ""):
        return clock.now()
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=clock.business_tz())
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(12, 0), tzinfo=clock.business_tz())
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return _date_time(dt.date.fromisoformat(text), field=field)
            return _date_time(dt.datetime.fromisoformat(text), field=field)
        except ValueError:
            pass
    raise ValidationFailed("invalid", "Enter a valid date and time.", field=field)


def _lease_for_write(by: User, lease_id: Any) -> Lease:
    try:
        return leasing_access.lease_for_user(by, lease_id)
    except NotFound:
        raise ValidationFailed("not_found", "Unknown lease.", field="lease_id") from None


# Charges ------------------------------------------------------------------------------------


def charge_create(
    *,
    by: User,
    lease_id: Any,
    kind: str,
    amount: Any,
    due_date: Any,
    period_start: Any = None,
    period_end: Any = None,
    description: str = "",
) -> Bill:
    """Add a manual charge (property fee, utilities, other) to a lease; credit is applied."""
    access.require(by, "billing.write")
    if kind not in MANUAL_KINDS:
        raise ValidationFailed(
            "invalid_choice", "Choose property fee, utilities or other.", field="kind"
        )
    money = to_money(amount, field="amount", allow_zero=False)
    due = v.date(due_date, field="due_date")
    assert due is not None
    start = v.date(period_start, field="period_start", required=False) or due
    end = v.date(period_end, field="period_end", required=False) or start
    if end < start:
        raise ValidationFailed("invalid", "The period ends before it starts.", field="period_end")
    text = v.text(description, field="description", max_length=200, required=False)
    lease = _lease_for_write(by, lease_id)
    if lease.status not in CHARGEABLE_LEASE_STATUSES:
        raise ValidationFailed(
            "lease_not_chargeable",
            "Charges can be added only to active, terminated or expired leases.",
            field="lease_id",
        )
    with transaction.atomic():
        bill = Bill.objects.create(
            organization_id=lease.organization_id,
            lease=lease,
            project_id=lease.project_id,
            building_id=lease.building_id,
            unit_id=lease.unit_id,
            customer_id=lease.customer_id,
            kind=kind,
            period_start=start,
            period_end=end,
            due_date=due,
            amount=money,
            description=text,
            created_by=by,
        )
        audit.record(
            action="bill.charge",
            obj=bill,
            organization=bill.organization_id,
            actor=by,
            changes=audit.diff(
                {},
                audit.snapshot(
                    bill,
                    (
                        "lease",
                        "kind",
                        "period_start",
                        "period_end",
                        "due_date",
                        "amount",
                        "description",
                    ),
                ),
            ),
        )
        credit_apply(
            organization_id=lease.organization_id,
            customer_id=lease.customer_id,
            lease_id=lease.pk,
            by=by,
        )
    bill.refresh_from_db()
    return bill


# Payments -----------------------------------------------------------------------------------


def _duplicate(existing: Payment) -> Conflict:
    return Conflict(
        "duplicate_payment",
        f"Payment reference {existing.reference} ({existing.channel}) was already recorded "
        f"as payment #{existing.pk}.",
        field="reference",
        existing_payment={
            "id": existing.pk,
            "channel": existing.channel,
            "reference": existing.reference,
            "amount": str(existing.amount),
            "received_at": existing.received_at.isoformat(),
        },
    )


def payment_record(
    *,
    by: User,
    channel: str,
    amount: Any,
    lease_id: Any = None,
    customer_id: Any = None,
    received_at: Any = None,
    reference: str = "",
    payer_name: str = "",
    note: str = "",
) -> Payment:
    """Record money received and allocate it, oldest due first; the rest is credit.

    A lease's payment goes to that lease's open bills; a customer's payment without a lease to
    all the customer's open bills. Refused with nothing written: an amount that is not positive
    (422 ``amount``), an unknown or void lease (422 ``lease_id``), a reference already recorded
    on the channel (409 ``reference``).
    """
    access.require(by, "billing.write")
    money = to_money(amount, field="amount", allow_zero=False)
    channel = v.choice(channel, field="channel", choices=PaymentChannel.choices)
    reference = v.text(reference, field="reference", max_length=64, required=False)
    payer_name = v.text(payer_name, field="payer_name", max_length=100, required=False)
    note = v.text(note, field="note", max_length=300, required=False)
    received = _date_time(received_at, field="received_at")
    lease: Lease | None = None
    if lease_id not in (None, ""):
        lease = _lease_for_write(by, lease_id)
        _check_payable(lease)
        if customer_id not in (None, "") and str(customer_id) != str(lease.customer_id):
            raise ValidationFailed(
                "mismatch", "The customer is not the lease's customer.", field="customer_id"
            )
        customer: Customer = lease.customer
    elif customer_id not in (None, ""):
        try:
            customer = leasing_access.customer_for_user(by, customer_id)
        except NotFound:
            raise ValidationFailed("not_found", "Unknown customer.", field="customer_id") from None
    else:
        raise ValidationFailed("required", "Give a lease or a customer.", field="lease_id")
    return _payment_write(
        organization_id=access.org_id(by),
        customer=customer,
        lease=lease,
        channel=channel,
        money=money,
        received=received,
        reference=reference,
        payer_name=payer_name,
        note=note,
        by=by,
    )


def payment_record_from_provider(
    *,
    organization_id: int,
    lease_id: Any,
    channel: str,
    amount: Any,
    received_at: Any,
    reference: str,
    payer_name: str = "",
    note: str = "",
) -> Payment:
    """Record money a payment provider confirmed (a verified callback), with no staff user.

    The same path as :func:`payment_record` — duplicate check, allocation, audit, commit hook —
    with the audit actor ``None`` and ``origin: "provider"``. ``reference`` (the provider's
    transaction id) is required, so a repeated confirmation is refused as a duplicate (409).
    """
    money = to_money(amount, field="amount", allow_zero=False)
    channel = v.choice(channel, field="channel", choices=PaymentChannel.choices)
    reference = v.text(reference, field="reference", max_length=64)
    payer_name = v.text(payer_name, field="payer_name", max_length=100, required=False)
    note = v.text(note, field="note", max_length=300, required=False)
    received = _date_time(received_at, field="received_at")
    try:
        lease = Lease.objects.select_related("customer").get(
            pk=int(lease_id), organization_id=organization_id
        )
    except (ValueError, TypeError, Lease.DoesNotExist):
        raise ValidationFailed("not_found", "Unknown lease.", field="lease_id") from None
    _check_payable(lease)
    return _payment_write(
        organization_id=organization_id,
        customer=lease.customer,
        lease=lease,
        channel=channel,
        money=money,
        received=received,
        reference=reference,
        payer_name=payer_name,
        note=note,
        by=None,
        origin="provider",
    )


def _check_payable(lease: Lease) -> None:
    if lease.status == LeaseStatus.VOID:
        raise ValidationFailed(
            "lease_void",
            "The lease is void; no payment can be recorded against it.",
            field="lease_id",
        )


def _payment_write(
    *,
    organization_id: int,
    customer: Customer,
    lease: Lease | None,
    channel: str,
    money: Decimal,
    received: dt.datetime,
    reference: str,
    payer_name: str,
    note: str,
    by: User | None,
    origin: str = "",
) -> Payment:
    """Store a validated payment, allocate it and audit it (shared by both recording paths)."""
    if reference:
        existing = Payment.objects.filter(
            organization_id=organization_id, channel=channel, reference=reference
        ).first()
        if existing is not None:
            raise _duplicate(existing)
    with transaction.atomic():
        payment = Payment(
            organization_id=organization_id,
            customer=customer,
            lease=lease,
            project_id=lease.project_id if lease else customer.project_id,
            building_id=lease.building_id if lease else None,
            channel=channel,
            amount=money,
            unallocated=money,
            received_at=received,
            reference=reference,
            payer_name=payer_name,
            note=note,
            created_by=by,
        )
        try:
            with transaction.atomic():
                payment.save()
        except IntegrityError:
            existing = Payment.objects.filter(
                organization_id=organization_id, channel=channel, reference=reference
            ).first()
            if existing is None:
                raise
            raise _duplicate(existing) from None
        bills = _lock_open_bills(
            _bills_for(
                organization_id=organization_id,
                customer_id=customer.pk,
                lease_id=lease.pk if lease else None,
            )
        )
        allocations = _allocate([payment], bills)
        audit.record(
            action="payment.record",
            obj=payment,
            organization=organization_id,
            actor=by,
            changes={
                "customer": customer.pk,
                "lease": lease.pk if lease else None,
                "channel": channel,
                "amount": money,
                "received_at": received,
                "reference": reference,
                "payer_name": payer_name,
                "allocations": _allocation_log(allocations),
                "unallocated": payment.unallocated,
                **({"origin": origin} if origin else {}),
            },
        )
        transaction.on_commit(functools.partial(hooks.on_payment_committed, payment.pk))
    return payment


def credit_apply(
    *, organization_id: int, customer_id: int, lease_id: int | None, by: User | None
) -> Decimal:
    """Apply unallocated credit to open bills; returns the amount applied.

    With ``lease_id``: the lease's credit and the customer's lease-less credit go to the lease's
    open bills. Without: the customer's lease-less credit goes to all their open bills.
    """
    with transaction.atomic():
        bills = _lock_open_bills(
            _bills_for(organization_id=organization_id, customer_id=customer_id, lease_id=lease_id)
        )
        if not bills:
            return ZERO
        credit = Payment.objects.filter(
            organization_id=organization_id, customer_id=customer_id, unallocated__gt=0
        )
        if lease_id is not None:
            credit = credit.filter(Q(lease_id=lease_id) | Q(lease__isnull=True))
        else:
            credit = credit.filter(lease__isnull=True)
        payments = list(credit.select_for_update().order_by("id"))
        if not payments:
            return ZERO
        payments.sort(key=lambda p: (p.received_at, p.pk))
        allocations = _allocate(payments, bills)
        applied = sum((a.amount for a in allocations), ZERO)
        if allocations:
            audit.record(
                action="credit.apply",
                object_type="leasing.customer",
                object_id=customer_id,
                organization=organization_id,
                actor=by,
                changes={
                    "lease": lease_id,
                    "allocations": [[a.payment.pk, a.bill.pk, a.amount] for a in allocations],
                },
            )
        return applied


def credit_apply_for_lease(*, lease: Lease, by: User) -> Decimal:
    """A person applies the credit of a lease (and its customer's lease-less credit)."""
    access.require(by, "billing.write")
    return credit_apply(
        organization_id=lease.organization_id,
        customer_id=lease.customer_id,
        lease_id=lease.pk,
        by=by,
    )


def credit_refund(
    *,
    payment: Payment,
    by: User,
    amount: Any,
    channel: str,
    reference: str = "",
    reason: str = "",
    approval: ApprovalRequest | None = None,
) -> Refund | ApprovalRequest:
    """Pay back part or all of a payment's unallocated credit.

    Guarded (``billing.credit_refund``): without an executing approval this returns the
    approval request instead of paying anything back.
    """
    access.require(by, "billing.write")
    money = to_money(amount, field="amount", allow_zero=False)
    channel = v.choice(channel, field="channel", choices=PaymentChannel.choices)
    reference = v.text(reference, field="reference", max_length=64, required=False)
    reason = v.text(reason, field="reason", max_length=300, required=False)
    current = Payment.objects.get(pk=payment.pk)
    if money > current.unallocated:
        raise ValidationFailed(
            "exceeds_credit", "More than the payment's unallocated credit.", field="amount"
        )
    pending = guard(
        "billing.credit_refund",
        by=by,
        args={
            "payment_id": payment.pk,
            "amount": money,
            "channel": channel,
            "reference": reference,
            "reason": reason,
        },
        approval=approval,
        summary=f"{current.reference or current.pk}",
        diff=[
            ("credit", current.unallocated, current.unallocated - money),
            ("amount", None, money),
            ("channel", None, channel),
            ("reason", None, reason),
        ],
        amount=money,
        obj=current,
    )
    if pending is not None:
        return pending
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if money > locked.unallocated:
            raise ValidationFailed(
                "exceeds_credit", "More than the payment's unallocated credit.", field="amount"
            )
        refund = Refund.objects.create(
            organization_id=locked.organization_id,
            customer_id=locked.customer_id,
            lease_id=locked.lease_id,
            payment=locked,
            kind=RefundKind.CREDIT,
            amount=money,
            channel=channel,
            reference=reference,
            reason=reason,
            created_by=by,
        )
        Payment.objects.filter(pk=locked.pk).update(unallocated=F("unallocated") - money)
        audit.record(
            action="credit.refund",
            obj=refund,
            organization=locked.organization_id,
            actor=by,
            changes={"payment": locked.pk, "amount": money, "channel": channel, "reason": reason},
        )
    return refund


# Deposit ledger -----------------------------------------------------------------------------


def deposit_balance(lease_id: int) -> Decimal:
    """Deposit held for a lease: held − offset − refunded."""
    sums = dict(
        DepositEntry.objects.filter(lease_id=lease_id)
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    return (
        sums.get(DepositEntryKind.HELD, ZERO)
        - sums.get(DepositEntryKind.OFFSET, ZERO)
        - sums.get(DepositEntryKind.REFUNDED, ZERO)
    )


def _lock_lease_for_deposit(lease: Lease) -> Lease:
    locked = Lease.objects.select_for_update().get(pk=lease.pk)
    if locked.status not in (LeaseStatus.TERMINATED, LeaseStatus.EXPIRED):
        raise ValidationFailed(
            "lease_running",
            "The deposit is offset at move-out: terminate the lease or let it expire first.",
            field="lease_id",
        )
    return locked


def deposit_offset(*, lease: Lease, by: User) -> list[DepositEntry]:
    """At move-out, apply the deposit held to the lease's open bills, oldest due first."""
    access.require(by, "billing.write")
    with transaction.atomic():
        locked = _lock_lease_for_deposit(lease)
        available = deposit_balance(locked.pk)
        if available <= 0:
            raise ValidationFailed(
                "no_deposit", "No deposit is held for this lease.", field="lease_id"
            )
        bills = _lock_open_bills(
            Bill.objects.filter(lease_id=locked.pk).exclude(kind=BillKind.DEPOSIT)
        )
        entries: list[DepositEntry] = []
        for bill in bills:
            if available <= 0:
                break
            take = min(bill.amount - bill.paid_amount, available)
            _pay_bill(bill, take)
            available -= take
            entries.append(
                DepositEntry(
                    organization_id=locked.organization_id,
                    lease=locked,
                    kind=DepositEntryKind.OFFSET,
                    amount=take,
                    bill=bill,
                    created_by=by,
                )
            )
        DepositEntry.objects.bulk_create(entries)
        if entries:
            audit.record(
                action="deposit.offset",
                obj=locked,
                organization=locked.organization_id,
                actor=by,
                changes={"offsets": [[e.bill.pk, e.amount] for e in entries if e.bill]},
            )
    return entries


def deposit_refund(
    *,
    lease: Lease,
    by: User,
    channel: str,
    amount: Any = None,
    reference: str = "",
    reason: str = "",
    approval: ApprovalRequest | None = None,
) -> Refund | ApprovalRequest:
    """Pay back deposit held (all of it unless ``amount`` is given).

    Guarded (``billing.deposit_refund``): without an executing approval this returns the
    approval request. The move-out settlement, itself approved by a second person, refunds
    through :func:`deposit_refund_for_settlement`.
    """
    access.require(by, "billing.write")
    channel = v.choice(channel, field="channel", choices=PaymentChannel.choices)
    reference = v.text(reference, field="reference", max_length=64, required=False)
    reason = v.text(reason, field="reason", max_length=300, required=False)
    requested = None if amount in (None, "") else to_money(amount, field="amount", allow_zero=False)
    if approval is None:
        current = Lease.objects.get(pk=lease.pk)
        held = deposit_balance(current.pk)
        if current.status not in (LeaseStatus.TERMINATED, LeaseStatus.EXPIRED):
            _lock_lease_for_deposit(current)  # raises lease_running
        if held <= 0:
            raise ValidationFailed(
                "no_deposit", "No deposit is held for this lease.", field="lease_id"
            )
        if requested is not None and requested > held:
            raise ValidationFailed("exceeds_deposit", "More than the deposit held.", field="amount")
        pending = guard(
            "billing.deposit_refund",
            by=by,
            args={
                "lease_id": lease.pk,
                "channel": channel,
                "amount": requested,
                "reference": reference,
                "reason": reason,
            },
            summary=f"{current.code}",
            diff=[
                ("deposit_held", held, held - (requested or held)),
                ("amount", None, requested or held),
                ("channel", None, channel),
                ("reason", None, reason),
            ],
            amount=requested or held,
            obj=current,
            project_id=current.project_id,
            building_id=current.building_id,
        )
        if pending is not None:
            return pending
    else:
        guard(
            "billing.deposit_refund",
            by=by,
            args={
                "lease_id": lease.pk,
                "channel": channel,
                "amount": requested,
                "reference": reference,
                "reason": reason,
            },
            approval=approval,
        )
    return _deposit_refund(
        lease=lease,
        by=by,
        channel=channel,
        requested=requested,
        reference=reference,
        reason=reason,
    )


def deposit_refund_for_settlement(
    *, case: Any, by: User, channel: str, amount: Any, reference: str = "", reason: str = ""
) -> Refund:
    """The deposit refund of a move-out settlement closed by ``by``.

    The settlement statement (and its refund) was approved by a person other than its preparer
    (``settlement_approve``), so this path is already four-eyes; it refuses any case that is not
    approved that way.
    """
    from anzu.billing.settlement.choices import SettlementStatus

    access.require(by, "billing.write")
    if (
        case.status != SettlementStatus.APPROVED
        or case.approved_by_id is None
        or case.approved_by_id == case.prepared_by_id
        or case.lease_id is None
    ):
        raise ValidationFailed(
            "not_approved", "The settlement is not approved.", field="settlement"
        )
    channel = v.choice(channel, field="channel", choices=PaymentChannel.choices)
    reference = v.text(reference, field="reference", max_length=64, required=False)
    reason = v.text(reason, field="reason", max_length=300, required=False)
    return _deposit_refund(
        lease=Lease.objects.get(pk=case.lease_id),
        by=by,
        channel=channel,
        requested=to_money(amount, field="amount", allow_zero=False),
        reference=reference,
        reason=reason,
    )


def _deposit_refund(
    *,
    lease: Lease,
    by: User,
    channel: str,
    requested: Decimal | None,
    reference: str,
    reason: str,
) -> Refund:
    with transaction.atomic():
        locked = _lock_lease_for_deposit(lease)
        held = deposit_balance(locked.pk)
        if held <= 0:
            raise ValidationFailed(
                "no_deposit", "No deposit is held for this lease.", field="lease_id"
            )
        money = held if requested is None else requested
        if money > held:
            raise ValidationFailed("exceeds_deposit", "More than the deposit held.", field="amount")
        refund = Refund.objects.create(
            organization_id=locked.organization_id,
            customer_id=locked.customer_id,
            lease=locked,
            kind=RefundKind.DEPOSIT,
            amount=money,
            channel=channel,
            reference=reference,
            reason=reason,
            created_by=by,
        )
        DepositEntry.objects.create(
            organization_id=locked.organization_id,
            lease=locked,
            kind=DepositEntryKind.REFUNDED,
            amount=money,
            refund=refund,
            created_by=by,
        )
        audit.record(
            action="deposit.refund",
            obj=refund,
            organization=locked.organization_id,
            actor=by,
            changes={"lease": locked.pk, "amount": money, "channel": channel, "reason": reason},
        )
    return refund


# Write-offs ---------------------------------------------------------------------------------


def bill_write_off(
    *, bill: Bill, by: User, reason: str, approval: ApprovalRequest | None = None
) -> Bill | ApprovalRequest:
    """Waive the unpaid remainder of an open bill, with a reason (核销).

    The bill's amount drops to what was paid (a bill with nothing paid becomes void), in one
    locked update; the waived amount and the original amount are kept in the audit event.
    Guarded (``billing.write_off``): without an executing approval this returns the approval
    request.
    """
    access.require(by, "billing.write")
    reason = v.text(reason, field="reason", max_length=300)
    current = Bill.objects.get(pk=bill.pk)
    if current.status != BillStatus.OPEN or current.amount <= current.paid_amount:
        raise ValidationFailed("not_open", "Only an open bill can be written off.", field="bill")
    waived = current.amount - current.paid_amount
    pending = guard(
        "billing.write_off",
        by=by,
        args={"bill_id": current.pk, "reason": reason},
        approval=approval,
        summary=f"{current}",
        diff=[
            ("outstanding", waived, ZERO),
            ("amount", current.amount, current.paid_amount),
            ("reason", None, reason),
        ],
        amount=waived,
        obj=current,
        project_id=current.project_id,
        building_id=current.building_id,
    )
    if pending is not None:
        return pending
    with transaction.atomic():
        locked = Bill.objects.select_for_update().get(pk=current.pk)
        if locked.status != BillStatus.OPEN or locked.amount <= locked.paid_amount:
            raise ValidationFailed(
                "not_open", "Only an open bill can be written off.", field="bill"
            )
        waived = locked.amount - locked.paid_amount
        status = BillStatus.VOID if locked.paid_amount == 0 else BillStatus.PAID
        Bill.objects.filter(pk=locked.pk).update(
            amount=F("paid_amount") if status == BillStatus.PAID else F("amount"),
            status=status,
            updated_at=clock.now(),
        )
        audit.record(
            action="bill.write_off",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={
                "status": [BillStatus.OPEN, status],
                "amount": [
                    locked.amount,
                    locked.paid_amount if status == BillStatus.PAID else locked.amount,
                ],
                "waived": waived,
                "reason": reason,
            },
        )
        locked.refresh_from_db()
    return locked
