from django.db import models
from django.utils.translation import gettext_lazy as _


class DeflectionOutcome(models.TextChoices):
    """What became of one visit that was shown self-help articles."""

    SHOWN = "shown", _("Shown")
    SOLVED = "solved", _("Solved")
    ESCALATED = "escalated", _("Escalated")


class ReporterKind(models.TextChoices):
    TENANT = "tenant", _("Tenant")
    VISITOR = "visitor", _("Visitor")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
