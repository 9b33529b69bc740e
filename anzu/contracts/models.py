"""The contract archive: one row per archived contract file, its pages and denormalised key fields.

The original file is a `documents.Document` (stored once per organization by SHA-256). The key
fields copied onto `Contract` are the reviewed values used by lists, filters and search; every
extracted value with its provenance lives in the extraction tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.contracts.choices import ContractSource, ContractStatus, RiskLevel
from anzu.core.models import Organization


class Contract(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        "portfolio.Building", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        "portfolio.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lease = models.ForeignKey(
        "leasing.Lease",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    source = models.CharField(
        _("text source"), max_length=20, choices=ContractSource.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    page_count = models.PositiveIntegerField(default=0)
    text = models.TextField(_("full text"), blank=True)
    ocr_confidence = models.FloatField(null=True, blank=True)
    # Reviewed key fields (copied from the extraction for lists, filters and search).
    lessor_name = models.CharField(_("lessor"), max_length=200, blank=True)
    lessee_name = models.CharField(_("lessee"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    monthly_rent = models.DecimalField(
        _("monthly rent"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    deposit = models.DecimalField(
        _("deposit"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, blank=True
    )
    terminated_on = models.DateField(_("termination date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sha256"], name="uniq_contract_content")
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "end_date"]),
            models.Index(fields=["organization", "project", "end_date"]),
        ]

    def __str__(self) -> str:
        return self.title


class ContractPage(models.Model):
    """One page's text; for OCR pages, each line with its box and confidence in `lines`."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    # Character offset of this page's first character in Contract.text.
    offset = models.PositiveIntegerField(default=0)
    # [{"text", "box": [[x, y] * 4], "confidence", "start", "end"}] for OCR pages; [] otherwise.
    lines = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=20, choices=ContractSource.choices)

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="uniq_contract_page")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} p.{self.number}"
