"""Choices of the approvals app: request statuses and decisions."""

from django.db import models
from django.utils.translation import pgettext_lazy


class RequestStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval", "Pending")
    APPROVED = "approved", pgettext_lazy("approval", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval", "Rejected")
    EXECUTED = "executed", pgettext_lazy("approval", "Executed")
    STALE = "stale", pgettext_lazy("approval", "Stale")
    CANCELLED = "cancelled", pgettext_lazy("approval", "Cancelled")


OPEN_STATUSES = (RequestStatus.PENDING,)


class Decision(models.TextChoices):
    APPROVE = "approve", pgettext_lazy("approval", "Approve")
    REJECT = "reject", pgettext_lazy("approval", "Reject")
