from django.db import models
from django.utils.translation import gettext_lazy as _


class Bucket(models.TextChoices):
    """Where a contract stands in its lifecycle on a given business date."""

    WITHIN_30 = "within_30", _("Expiring within 30 days")
    WITHIN_60 = "within_60", _("Expiring in 31–60 days")
    WITHIN_90 = "within_90", _("Expiring in 61–90 days")
    ACTIVE = "active", _("Active (more than 90 days left)")
    EXPIRED = "expired", _("Expired, not terminated")
    TERMINATED = "terminated", _("Terminated")
    UNDATED = "undated", _("No end date")


class RenewalState(models.TextChoices):
    TO_CONTACT = "to_contact", _("To contact")
    NEGOTIATING = "negotiating", _("Negotiating")
    RENEWING = "renewing", _("Renewing")
    NOT_RENEWING = "not_renewing", _("Not renewing")


# Days before the end date at which the people responsible are notified.
NOTICE_THRESHOLDS = (90, 60, 30, 7)
