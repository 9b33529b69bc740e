from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractSource(models.TextChoices):
    """Where a contract's text came from."""

    TEXT = "text", _("Plain text")
    PDF_TEXT = "pdf_text", _("PDF text layer")
    PDF_OCR = "pdf_ocr", _("OCR of a scanned PDF")
    IMAGE_OCR = "image_ocr", _("OCR of an image")


class ContractStatus(models.TextChoices):
    """Processing state of an archived contract."""

    PENDING = "pending", _("Waiting to be read")
    PROCESSING = "processing", _("Being read")
    READY = "ready", _("Read and reviewed")
    FAILED = "failed", _("Could not be read")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class FieldStatus(models.TextChoices):
    """Review state of one extracted field."""

    AUTO = "auto", _("Accepted automatically")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    CONFIRMED = "confirmed", _("Confirmed")
    CORRECTED = "corrected", _("Corrected")


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
