"""Move-out settlement cases (退租清算), their inspection checklist and the final statement.

A case walks open → inspected → statement_ready → approved → closed; a checker may send a
prepared statement back (rejected) and anyone managing settlements may cancel a case that is not
closed. The statement is computed from the ledger when it is prepared and stored as a JSON
snapshot with a fingerprint of the ledger it was computed from, so what is approved is exactly
what is shown and executed. A lease has at most one case that is neither closed nor cancelled.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anzu.billing.settlement.choices import (
    FINISHED_STATUSES,
    ItemCondition,
    SettlementSource,
    SettlementStatus,
)
from anzu.core.models import Organization

ZERO = Decimal("0.00")


class SettlementCase(models.Model):
    """The settlement of one lease at move-out: inspection, final statement, approval, close.

    Project, building, unit and customer are copied from the lease for scope filters and lists.
    ``version`` grows with every change (optimistic locking). ``statement`` is the snapshot of
    the lines and totals computed by ``settlement_prepare``; ``statement_fingerprint`` is the
    SHA-256 of the ledger facts it was computed from.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, related_name="settlement_cases"
    )
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("portfolio.Project", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey("portfolio.Building", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("portfolio.Unit", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=SettlementSource.choices,
        default=SettlementSource.MANUAL,
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SettlementStatus.choices,
        default=SettlementStatus.OPEN,
    )
    move_out_date = models.DateField(_("move-out date"), null=True, blank=True)
    statement = models.JSONField(_("final statement"), null=True, blank=True)
    statement_fingerprint = models.CharField(max_length=64, blank=True)
    statement_document = models.ForeignKey(
        "documents.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lease"],
                condition=~Q(status__in=[s.value for s in FINISHED_STATUSES]),
                name="uniq_active_settlement_per_lease",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(prepared_by__isnull=True)
                | ~Q(approved_by=models.F("prepared_by")),
                name="settlement_checker_not_preparer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "-created_at"], name="settle_org_status"
            ),
        ]

    def __str__(self) -> str:
        return f"settlement {self.pk} ({self.status})"


class InspectionItem(models.Model):
    """One line of the move-out checklist: a room or area, an item, its condition, damages."""

    case = models.ForeignKey(SettlementCase, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    area = models.CharField(_("area / room"), max_length=100)
    item = models.CharField(_("item"), max_length=100)
    condition = models.CharField(
        _("condition"), max_length=10, choices=ItemCondition.choices, default=ItemCondition.OK
    )
    damage_amount = models.DecimalField(
        _("damage amount"), max_digits=12, decimal_places=2, default=ZERO
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["case_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(damage_amount__gte=0), name="inspection_damage_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.area} · {self.item} ({self.condition})"
