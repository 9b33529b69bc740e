"""Bills, payments, allocations, the deposit ledger, refunds and the generation cursor.

Balances (``Bill.paid_amount``, ``Bill.status``, ``Payment.unallocated``) change only inside
:mod:`anzu.billing.services`, under row locks taken in id order, in the transaction that writes
the matching allocation, deposit entry or refund. The database checks keep every balance within
its bounds even if that code is bypassed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from anzu.billing.choices import (
    GENERATED_KINDS,
    BillKind,
    BillStatus,
    DepositEntryKind,
    PaymentChannel,
    RefundKind,
)
from anzu.core.models import Organization

ZERO = Decimal("0.00")


class Bill(models.Model):
    """An amount a customer owes under a lease for one kind and period (账单).

    Project, building, unit and customer are copied from the lease so that scope filters and
    receivables never join the lease table. Generated rent and deposit bills are unique on
    ``(lease, kind, period_start)``; a late-fee bill is unique on the bill it accrues on
    (``source_bill``). ``paid_amount`` and ``status`` change only together, atomically.
    """

    # The organization, project, building, unit and customer are copies of the lease's, written
    # in the same statement: the lease's foreign key holds their integrity, so they carry no
    # database constraint of their own (each would be a per-row check on millions of generated
    # rows). Single-column indexes exist only where no composite index below leads with the
    # column: every index also costs each insert.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, related_name="bills", db_index=False
    )
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    building = models.ForeignKey(
        "portfolio.Building", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    unit = models.ForeignKey(
        "portfolio.Unit",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        "leasing.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=BillKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(
        _("paid amount"), max_digits=12, decimal_places=2, default=ZERO
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    source_bill = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="late_fees",
        db_index=False,  # uniq_late_fee_per_bill indexes it
        help_text="For a late-fee bill: the overdue bill it accrues on.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lease", "kind", "period_start"],
                condition=Q(kind__in=[k.value for k in GENERATED_KINDS]),
                name="uniq_generated_bill",
            ),
            models.UniqueConstraint(
                fields=["source_bill"],
                condition=Q(source_bill__isnull=False),
                name="uniq_late_fee_per_bill",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("amount")),
                name="bill_paid_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="bill_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status=BillStatus.PAID) | Q(paid_amount=F("amount")),
                name="bill_paid_means_fully_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "due_date"], name="bill_org_due"),
            models.Index(fields=["lease", "due_date", "id"], name="bill_lease_due"),
            models.Index(
                fields=["organization", "due_date", "id"],
                condition=Q(status=BillStatus.OPEN),
                name="bill_open_by_org",
            ),
            # The dunning run's "changed since the last run" read.
            models.Index(
                fields=["organization", "updated_at"],
                condition=Q(status=BillStatus.OPEN),
                name="bill_open_changed",
            ),
            models.Index(fields=["customer", "status"], name="bill_customer_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    @property
    def outstanding(self) -> Decimal:
        if self.status == BillStatus.VOID:
            return ZERO
        return self.amount - self.paid_amount


class Payment(models.Model):
    """Money received from a customer (收款), optionally for one lease.

    ``unallocated`` is the part not yet applied to bills nor refunded: the customer's credit.
    A non-empty ``reference`` (bank serial, WeChat/Alipay transaction id) is unique per
    organization and channel, so the same payment cannot be recorded twice.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # Copied from the lease (or the customer's project) for scope filtering.
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        "portfolio.Building", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=PaymentChannel.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    unallocated = models.DecimalField(_("unallocated credit"), max_digits=12, decimal_places=2)
    received_at = models.DateTimeField(_("received at"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    payer_name = models.CharField(_("payer name"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "reference"],
                condition=~Q(reference=""),
                name="uniq_payment_reference",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0) & Q(unallocated__lte=F("amount")),
                name="payment_unallocated_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-received_at", "-id"], name="payment_org_recv"),
            models.Index(fields=["lease", "received_at"], name="payment_lease"),
            models.Index(
                fields=["customer", "received_at", "id"],
                condition=Q(unallocated__gt=0),
                name="payment_with_credit",
            ),
        ]

    def __str__(self) -> str:
        ref = f" {self.reference}" if self.reference else ""
        return f"{self.get_channel_display()}{ref} {self.received_at:%Y-%m-%d}"


class Allocation(models.Model):
    """The part of a payment applied to one bill."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")
        ]

    def __str__(self) -> str:
        return f"payment {self.payment_id} → bill {self.bill_id}: {self.amount}"


class Refund(models.Model):
    """Money paid back to a customer: unallocated credit of a payment, or a held deposit."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RefundKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    channel = models.CharField(_("channel"), max_length=20, choices=PaymentChannel.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class DepositEntry(models.Model):
    """One movement of a lease's deposit (押金台账).

    ``held``: deposit received (a payment allocated to the deposit bill); ``offset``: deposit
    applied to an unpaid bill at move-out; ``refunded``: deposit paid back. The balance held is
    held − offset − refunded and never goes below zero.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, related_name="deposit_entries"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DepositEntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="deposit_entries"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="deposit_entries"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="deposit_entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lease_id", "id"]
        verbose_name_plural = "deposit entries"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_entry_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class BillingCursor(models.Model):
    """How far the generation run has billed a lease's rent, so a daily run skips the rest.

    ``next_rent_start`` is the start of the next rent period still to bill, or null when the
    lease is billed to its end. The unique key on bills, not this row, is what makes a run
    idempotent; this row only keeps the daily run from reading leases it has nothing to do for.
    """

    # No database constraint: the row is written only for leases just read, and a per-row check
    # at commit would cost every lease of the run.
    lease = models.OneToOneField(
        "leasing.Lease",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="billing_cursor",
        db_constraint=False,
    )
    next_rent_index = models.PositiveIntegerField(default=0)
    next_rent_start = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["lease_id"]
        indexes = [models.Index(fields=["next_rent_start"], name="cursor_next_start")]

    def __str__(self) -> str:
        return f"lease {self.lease_id}: next rent period {self.next_rent_index}"
