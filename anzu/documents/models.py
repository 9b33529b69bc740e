"""The document archive: files stored by SHA-256, with their signature state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.documents.choices import DocumentKind


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
