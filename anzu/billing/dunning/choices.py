"""Choices of the dunning app: policy versions, actions, call outcomes, freezes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ActionKind(models.TextChoices):
    NOTIFY = "notify", _("Send a message")
    CALL_TASK = "call_task", _("Call task")
    DOCUMENT = "document", _("Generate a document")
    FREEZE = "freeze", _("Freeze request")
    SETTLEMENT = "settlement", _("Open a move-out settlement")


class ActionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class CallStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CallOutcome(models.TextChoices):
    FORGOT = "forgot", _("Forgot to pay")
    CASH_FLOW = "cash_flow", _("Cash-flow difficulty")
    DISSATISFIED = "dissatisfied", _("Dissatisfied with service")
    OTHER = "other", _("Other")
    UNREACHABLE = "unreachable", _("Not reached")


# The customer tag each call outcome becomes (催缴 = collections).
OUTCOME_TAGS: dict[str, str] = {
    CallOutcome.FORGOT: "催缴:忘记缴费",
    CallOutcome.CASH_FLOW: "催缴:资金困难",
    CallOutcome.DISSATISFIED: "催缴:服务不满",
    CallOutcome.OTHER: "催缴:其他原因",
    CallOutcome.UNREACHABLE: "催缴:未接通",
}


class FreezeKind(models.TextChoices):
    DOOR_ACCESS = "door_access", _("Door access")
    PARKING = "parking", _("Parking")


class FreezeStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    LIFTED = "lifted", _("Lifted")


# Lease fields a stage condition may require to be true.
LEASE_FLAGS = ("allows_access_freeze",)

# The customer tag that exempts a customer from dunning unless the policy names others.
DEFAULT_EXEMPT_TAG = "免催缴"
