from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    FORMAL_NOTICE = "formal_notice", _("Formal written notice")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer letter")
    SETTLEMENT_STATEMENT = "settlement_statement", _("Move-out settlement statement")
    CONTRACT = "contract", _("Contract")
    REPORT = "report", _("Report")
    OTHER = "other", _("Other")


class NoticeKind(models.TextChoices):
    """The kinds of formal notice the dunning engine and staff issue (a subset of DocumentKind)."""

    FORMAL_NOTICE = "formal_notice", _("Formal written notice")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer letter")


class NoticeTemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")
