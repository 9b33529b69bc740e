"""Choices of the maintenance app: ticket states, urgency, channels, dispatch and SLA kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHING = "dispatching", _("Dispatching")
    ENGINEER_ACCEPTED = "engineer_accepted", _("Engineer accepted")
    ON_SITE = "on_site", _("On site")
    COMPLETED = "completed", _("Completed")
    VERIFIED = "verified", _("Verified")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")


# Tickets still waiting for an engineer to take them.
UNASSIGNED_STATUSES = (TicketStatus.ACCEPTED, TicketStatus.DISPATCHING, TicketStatus.REOPENED)
# An engineer's open load.
LOAD_STATUSES = (TicketStatus.ENGINEER_ACCEPTED, TicketStatus.ON_SITE)
OPEN_STATUSES = (*UNASSIGNED_STATUSES, *LOAD_STATUSES)
DONE_STATUSES = (TicketStatus.COMPLETED, TicketStatus.VERIFIED)


class Urgency(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Channel(models.TextChoices):
    QR = "qr", _("QR code")
    PORTAL = "portal", _("Tenant portal")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


class PhotoStage(models.TextChoices):
    REPORT = "report", _("Reported")
    COMPLETION = "completion", _("Completion")


class AssignmentMethod(models.TextChoices):
    AUTO = "auto", _("Automatic")
    OVERRIDE = "override", _("Dispatcher override")
    BACKLOG = "backlog", _("Backlog re-dispatch")


class AssignmentStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SUPERSEDED = "superseded", _("Superseded")


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    ON_SITE = "on_site", _("On site")
    RESOLUTION = "resolution", _("Resolution")


class ReviewStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("review case", "Open")
    CLOSED = "closed", pgettext_lazy("review case", "Closed")


class RootCause(models.TextChoices):
    WORKMANSHIP = "workmanship", _("Workmanship")
    PARTS = "parts", _("Parts")
    RESPONSE_TIME = "response_time", _("Response time")
    ATTITUDE = "attitude", _("Attitude")
    MISDIAGNOSIS = "misdiagnosis", _("Misdiagnosis")
    TENANT_MISUSE = "tenant_misuse", _("Tenant misuse")
    OTHER = "other", _("Other")


RATING_TAGS = [
    ("fast", _("Fast")),
    ("tidy", _("Clean and tidy")),
    ("polite", _("Polite")),
    ("fixed_first_time", _("Fixed first time")),
    ("slow", _("Slow")),
    ("not_fixed", _("Not fixed")),
    ("messy", _("Left a mess")),
    ("rude", _("Rude")),
]
