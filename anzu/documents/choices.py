from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    FORMAL_NOTICE = "formal_notice", _("Formal written notice")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer letter")
    SETTLEMENT_STATEMENT = "settlement_statement", _("Move-out settlement statement")
    CONTRACT = "contract", _("Contract")
    REPORT = "report", _("Report")
    OTHER = "other", _("Other")
