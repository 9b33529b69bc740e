"""QR key versions, self-help articles, SMS challenges and deflection visits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anzu.common.crypto import EncryptedTextField
from anzu.core.models import Organization
from anzu.maintenance.knowledge.choices import DeflectionOutcome, ReporterKind


class QrKeyVersion(models.Model):
    """One generation of an organization's unit QR codes.

    Every QR token carries the version it was issued under; only the organization's latest
    version is accepted, so rotating (a new row) replaces every printed code at once. Without
    any row the organization is on version 1. ``max_age_days`` optionally limits how long a
    code of this version stays valid after its issue date.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    max_age_days = models.PositiveIntegerField(_("valid for (days)"), null=True, blank=True)
    rotated_at = models.DateTimeField()
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="uniq_kb_qr_key_version"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="kb_qr_version_positive"),
        ]

    def __str__(self) -> str:
        return f"QR v{self.version}"


class Article(models.Model):
    """A self-help article (自助指南) for one fault category.

    ``organization`` is null for built-in articles (``builtin_key`` set). An organization's own
    article may override a built-in one (``overrides``): the built-in one is then not shown to
    that organization's tenants, whether the override is published or not.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    builtin_key = models.CharField(max_length=60, blank=True)
    overrides = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="overridden_by"
    )
    category_code = models.CharField(_("category"), max_length=60)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"))
    safety_note = models.TextField(_("safety note"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category_code", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["builtin_key"],
                condition=Q(organization__isnull=True),
                name="uniq_kb_builtin_key",
            ),
            models.UniqueConstraint(
                fields=["organization", "overrides"],
                condition=Q(overrides__isnull=False),
                name="uniq_kb_override_per_org",
            ),
            models.CheckConstraint(
                condition=Q(organization__isnull=True) | Q(builtin_key=""),
                name="kb_builtin_key_only_builtin",
            ),
        ]
        indexes = [models.Index(fields=["organization", "category_code", "is_published"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_builtin(self) -> bool:
        return self.organization_id is None


class SmsChallenge(models.Model):
    """A 6-digit code sent by SMS to prove a phone number on the public reporting page.

    The code is stored only as a keyed hash; it expires after 10 minutes and is locked after
    5 wrong attempts. ``customer`` is the tenant of the unit the phone belongs to, if any.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("portfolio.Unit", on_delete=models.PROTECT, related_name="+")
    phone = EncryptedTextField()
    phone_index = models.CharField(max_length=64)
    name = models.CharField(max_length=60, blank=True)
    customer = models.ForeignKey(
        "leasing.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    salt = models.CharField(max_length=32)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)

    AUDIT_PERSONAL_FIELDS = ("phone", "name")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone_index", "unit", "created_at"])]

    def __str__(self) -> str:
        return f"SMS challenge #{self.pk}"

    @property
    def audit_label(self) -> str:
        return f"sms challenge #{self.pk}"

    @property
    def reporter_kind(self) -> str:
        return ReporterKind.TENANT if self.customer_id else ReporterKind.VISITOR


class DeflectionEvent(models.Model):
    """One visit of the public page that showed self-help articles for a category.

    It starts as ``shown``; "solved" or a ticket ("escalated", with ``ticket_id``) settles it.
    A visit still ``shown`` 24 hours later counts as abandoned (see docs/self-help.md).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("portfolio.Unit", on_delete=models.PROTECT, related_name="+")
    category_code = models.CharField(max_length=60)
    article_ids = models.JSONField(default=list)
    outcome = models.CharField(
        max_length=12, choices=DeflectionOutcome.choices, default=DeflectionOutcome.SHOWN
    )
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    ticket_number = models.CharField(max_length=40, blank=True)
    session_key = models.CharField(max_length=64)
    at = models.DateTimeField()
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "at"]),
            models.Index(fields=["session_key", "unit", "category_code"]),
        ]

    def __str__(self) -> str:
        return f"{self.category_code} {self.outcome}"
