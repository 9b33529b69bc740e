"""The contract archive: one row per archived contract file, its pages and denormalised key fields.

The original file is a `documents.Document` (stored once per organization by SHA-256). The key
fields copied onto `Contract` are the reviewed values used by lists, filters and search; every
extracted value with its provenance lives in the extraction tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.contracts.choices import (
    BatchStatus,
    ContractSource,
    ContractStatus,
    FieldStatus,
    RiskLevel,
    RuleSetStatus,
)
from anzu.core.models import Organization


class Contract(models.Model):
    """One archived contract file, its full text and its reviewed key fields."""

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
    # The market rent the review compared against (None: no unit or no comparable units).
    market_rent = models.DecimalField(
        _("market rent"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rule_set_version = models.PositiveIntegerField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        "contracts.ContractBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contracts",
    )
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
    # Size of the page image the OCR boxes refer to (0 for text pages).
    image_width = models.PositiveIntegerField(default=0)
    image_height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="uniq_contract_page")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} p.{self.number}"


class ContractField(models.Model):
    """One extracted key field with its provenance and review state.

    ``start``/``end`` are offsets into ``Contract.text`` (``evidence == text[start:end]``);
    ``page`` is the page holding ``start`` and ``box`` the OCR line box on that page, if any.
    ``value`` is JSON: dates as ISO strings, amounts and rates as decimal strings.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(_("field"), max_length=40)
    value = models.JSONField(_("value"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    page = models.PositiveIntegerField(null=True, blank=True)
    box = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(default=0.0)
    status = models.CharField(
        _("review state"), max_length=20, choices=FieldStatus.choices, default=FieldStatus.AUTO
    )
    original_value = models.JSONField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "name"], name="uniq_contract_field"),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0) & models.Q(confidence__lte=1),
                name="contract_field_confidence_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "contract"])]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.name}"


class ContractFinding(models.Model):
    """One point to check found by the review, with its basis and evidence span."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=RiskLevel.choices)
    message = models.TextField(_("point to check"))
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    page = models.PositiveIntegerField(null=True, blank=True)
    rule_set_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "id"]
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.code}"


class ReviewRuleSet(models.Model):
    """One version of an organization's review settings: thresholds and the enabled rule codes.

    Versions are numbered 1, 2, … per organization. A published version is never edited; saving
    changes writes the draft, publishing the draft retires the version published before. The
    database allows at most one draft and one published version per organization.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT
    )
    thresholds = models.JSONField(_("thresholds"), default=dict)
    enabled_codes = models.JSONField(_("enabled rules"), default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="uniq_review_rule_set_version"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status=RuleSetStatus.PUBLISHED),
                name="uniq_review_rule_set_published",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status=RuleSetStatus.DRAFT),
                name="uniq_review_rule_set_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.status})"


class ContractBatch(models.Model):
    """A background upload of many files (a zip or several files) with progress counts.

    The files wait under ``MEDIA_ROOT/contract-batches/<id>/`` until the job has archived them;
    ``errors`` holds one ``{"file", "code", "message"}`` per file that could not be archived.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        "portfolio.Building", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    files = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"batch {self.pk}"
