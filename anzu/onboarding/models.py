"""Import jobs: one uploaded file, its validation report and what it wrote."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.onboarding.choices import FINISHED_STATUSES, ImportKind, ImportStatus


class ImportJob(models.Model):
    """One run of the onboarding import over one uploaded file.

    The uploaded bytes are kept in ``payload`` only until the job has run, so web and worker
    processes need no shared disk; they are cleared afterwards (the file may hold personal data).
    ``errors`` is the error report: a list of ``{"sheet", "row", "column", "code", "message"}``.
    ``counts`` is ``{kind: {"created", "updated", "unchanged"}}``.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(
        _("kind"), max_length=12, choices=ImportKind.choices, default=ImportKind.AUTO
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    partial = models.BooleanField(_("import the valid rows only"), default=False)
    dry_run = models.BooleanField(_("validate only"), default=False)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total_rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    payload = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def wrote_data(self) -> bool:
        return self.status == ImportStatus.DONE and not self.dry_run
