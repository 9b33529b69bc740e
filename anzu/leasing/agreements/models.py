"""Lease agreements (租赁合同) generated from a template, signed by the organization (PAdES)
and by the tenant through an e-signature platform."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.leasing.agreements.choices import (
    AgreementStatus,
    DisputeResolution,
    Party,
    TemplateStatus,
)


class AgreementTemplate(models.Model):
    """One version of the organization's lease contract wording (租赁合同模板).

    ``body`` is an HTML fragment with ``{placeholder}`` names from the catalog in
    :mod:`anzu.leasing.agreements.placeholders`; the terms that are not on the lease (the
    lessor's credit code, who pays which fee, repair response time, dispute forum) are fields of
    the version. Versions are numbered per organization; a published version is never edited,
    and at most one draft and one published version exist (the database enforces both).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    lessor_credit_code = models.CharField(
        _("lessor unified social credit code"), max_length=18, blank=True
    )
    lessor_address = models.CharField(_("lessor address"), max_length=300, blank=True)
    property_fee_payer = models.CharField(
        _("property fee paid by"), max_length=10, choices=Party.choices, default=Party.LESSOR
    )
    utilities_payer = models.CharField(
        _("utilities paid by"), max_length=10, choices=Party.choices, default=Party.LESSEE
    )
    deposit_return_days = models.PositiveSmallIntegerField(
        _("days to return the deposit"), default=30
    )
    repair_response_hours = models.PositiveSmallIntegerField(
        _("repair response time (hours)"), default=24
    )
    dispute_resolution = models.CharField(
        _("disputes go to"),
        max_length=12,
        choices=DisputeResolution.choices,
        default=DisputeResolution.COURT,
    )
    arbitration_body = models.CharField(_("arbitration commission"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="uniq_agreement_template_version"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status=TemplateStatus.PUBLISHED),
                name="uniq_agreement_template_published",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status=TemplateStatus.DRAFT),
                name="uniq_agreement_template_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="agreement_template_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class LeaseAgreement(models.Model):
    """One lease contract sent for signing, from generation to the tenant's signature.

    ``draft_document`` is the generated PDF, ``document`` the organization-signed one (what the
    tenant signs), ``signed_document`` the PDF signed by both parties as fetched from the
    platform. ``events`` is the timeline (each step and each verified platform notification,
    with its id so a replay changes nothing). ``idempotency_key`` names the platform flow: sending
    again after a failure reuses it. At most one open agreement per lease (database constraint).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey("leasing.Lease", on_delete=models.PROTECT, related_name="agreements")
    template = models.ForeignKey(
        AgreementTemplate, on_delete=models.PROTECT, related_name="agreements"
    )
    number = models.CharField(_("agreement number"), max_length=40)
    status = models.CharField(
        _("status"), max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    context = models.JSONField(default=dict, blank=True)
    draft_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    provider = models.CharField(_("e-signature provider"), max_length=20, blank=True)
    flow_id = models.CharField(_("signing flow id"), max_length=100, blank=True)
    signing_url = models.URLField(_("signing URL"), max_length=1000, blank=True)
    idempotency_key = models.CharField(max_length=100)
    events = models.JSONField(default=list, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    org_signed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="uniq_lease_agreement_number"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"], name="uniq_lease_agreement_idempotency_key"
            ),
            models.UniqueConstraint(
                fields=["lease"],
                condition=models.Q(
                    status__in=[
                        AgreementStatus.DRAFT,
                        AgreementStatus.ORG_SIGNED,
                        AgreementStatus.SENT_FOR_SIGNATURE,
                    ]
                ),
                name="uniq_lease_agreement_open",
            ),
            models.UniqueConstraint(
                fields=["provider", "flow_id"],
                condition=~models.Q(flow_id=""),
                name="uniq_lease_agreement_flow",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="agreement_org_status"),
            models.Index(fields=["lease", "-created_at"], name="agreement_lease_created"),
        ]

    def __str__(self) -> str:
        return self.number or f"agreement #{self.pk}"
