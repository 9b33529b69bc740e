"""Choices of the reconciliation app: file formats, line directions, statuses, match methods."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StatementFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (.xlsx)")
    MT940 = "mt940", _("MT940")


class Direction(models.TextChoices):
    CREDIT = "credit", _("Credit (money in)")
    DEBIT = "debit", _("Debit (money out)")


class LineStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    REVIEW = "review", _("To review")
    IGNORED = "ignored", _("Ignored")
    RESOLVED = "resolved", _("Resolved")


class MatchMethod(models.TextChoices):
    NONE = "", _("None")
    REFERENCE = "reference", _("Reference in memo")
    PAYER_AMOUNT = "payer_amount", _("Payer and amount")
    EXISTING_PAYMENT = "existing_payment", _("Already recorded")
    MANUAL = "manual", _("Assigned by hand")


# Lines a person still has to look at.
OPEN_STATUSES = (LineStatus.REVIEW,)
