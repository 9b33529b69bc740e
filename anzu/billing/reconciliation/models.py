"""Bank statements (银行流水): one uploaded file and the bank lines it brought in.

A bank line enters once per organization, whatever file it comes in: its ``fingerprint`` (a
SHA-256 over account, booking date, signed amount, bank reference, payer account and memo) is
unique per organization. A file enters once: its SHA-256 is unique per organization.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anzu.billing.reconciliation.choices import (
    Direction,
    LineStatus,
    MatchMethod,
    StatementFormat,
)
from anzu.common.crypto import EncryptedTextField
from anzu.core.models import Organization

ZERO = Decimal("0.00")


class StatementImport(models.Model):
    """One uploaded bank statement file and what its import did (counts by outcome).

    ``lines`` counts the transaction lines of the file; each of them is ``matched`` (a payment
    was recorded automatically), sent to ``review``, a ``duplicate`` (already imported from an
    earlier file, or its bank reference was already recorded as a payment) or ``ignored``
    (debits and zero amounts).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="statement_imports"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    format = models.CharField(_("format"), max_length=10, choices=StatementFormat.choices)
    account = models.CharField(_("account"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    review_count = models.PositiveIntegerField(_("to review"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    ignored_count = models.PositiveIntegerField(_("ignored"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sha256"], name="uniq_statement_file_per_org"
            )
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="stmt_org_created")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    def counts(self) -> dict[str, int]:
        return {
            "lines": self.line_count,
            "matched": self.matched_count,
            "review": self.review_count,
            "duplicates": self.duplicate_count,
            "ignored": self.ignored_count,
        }


class StatementLine(models.Model):
    """One bank transaction of a statement: a credit to match to a lease, or a debit ignored.

    ``reasons`` says why the line ended in its status (``[{"code", ...}]``); ``candidates``
    lists what matching found, best first: ``{"lease_id", "customer_id", "method", "score",
    "reasons": [{"code", ...}]}``. ``payment`` is the payment recorded for
    the line (automatically, by hand from the review queue, or found already recorded).
    """

    statement_import = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, related_name="statement_lines"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    line_number = models.PositiveIntegerField(_("line"))
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    payer_name = models.CharField(_("payer name"), max_length=100, blank=True)
    payer_account = EncryptedTextField(_("payer account"), blank=True)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=LineStatus.choices, default=LineStatus.REVIEW
    )
    match_method = models.CharField(
        _("match method"), max_length=20, choices=MatchMethod.choices, blank=True, default=""
    )
    match_score = models.PositiveSmallIntegerField(_("match score"), default=0)
    reasons = models.JSONField(default=list, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        "leasing.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        "billing.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    AUDIT_PERSONAL_FIELDS = ("payer_name", "payer_account")

    class Meta:
        ordering = ["statement_import_id", "line_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "fingerprint"], name="uniq_statement_line_fingerprint"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="statement_line_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "id"], name="stmt_line_org_status"),
        ]

    def __str__(self) -> str:
        return f"line {self.line_number} of statement {self.statement_import_id}"

    @property
    def audit_label(self) -> str:
        return f"statement line #{self.pk}"

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.direction == Direction.DEBIT else self.amount
