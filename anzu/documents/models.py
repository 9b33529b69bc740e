"""The document archive: files stored by SHA-256, with their signature state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.documents.choices import DocumentKind, NoticeKind, NoticeTemplateStatus


class Document(models.Model):
    """One archived file (content-addressed: the same bytes are stored once per organization)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, default="application/pdf")
    signed = models.BooleanField(_("electronically signed"), default=False)
    related_type = models.CharField(max_length=64, blank=True)
    related_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sha256"], name="uniq_document_content")
        ]
        indexes = [models.Index(fields=["organization", "related_type", "related_id"])]

    def __str__(self) -> str:
        return self.title


class NoticeTemplate(models.Model):
    """One version of the wording of a formal notice or lawyer letter (催缴通知书/律师函模板).

    Versions of a kind are numbered 1, 2, … per organization. A published version is never
    edited: saving changes writes the kind's draft (a new version), and publishing the draft
    retires the version published before. At most one draft and one published version exist
    per (organization, kind); the database enforces both.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    consequences = models.TextField(_("consequences"), blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("days to pay"), default=7)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=NoticeTemplateStatus.choices,
        default=NoticeTemplateStatus.DRAFT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "version"], name="uniq_notice_template_version"
            ),
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(status=NoticeTemplateStatus.PUBLISHED),
                name="uniq_notice_template_published",
            ),
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(status=NoticeTemplateStatus.DRAFT),
                name="uniq_notice_template_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="notice_template_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(deadline_days__gte=1) & models.Q(deadline_days__lte=90),
                name="notice_template_deadline_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class NoticeIssue(models.Model):
    """One formal notice or lawyer letter issued to a customer for a lease's overdue bills.

    ``context`` is the snapshot of every placeholder value the letter was rendered with (plus the
    bills it covers), ``template`` the exact version used, ``document`` the signed PDF in the
    archive. ``idempotency_key`` is unique per organization: issuing twice with the same key
    returns the first notice. ``document`` is set in the transaction that creates the row; it is
    empty only while that transaction is producing the PDF.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, related_name="notice_issues"
    )
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices)
    number = models.CharField(_("notice number"), max_length=40, blank=True)
    template = models.ForeignKey(NoticeTemplate, on_delete=models.PROTECT, related_name="issues")
    idempotency_key = models.CharField(max_length=200)
    issued_on = models.DateField(_("issue date"))
    amount = models.DecimalField(_("amount due"), max_digits=12, decimal_places=2)
    context = models.JSONField(default=dict)
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="uniq_notice_issue_key"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="notice_issue_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="notice_org_created"),
            models.Index(fields=["lease", "kind"], name="notice_lease_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.pk}"
