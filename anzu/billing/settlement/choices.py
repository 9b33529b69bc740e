"""Choices of the settlement app: case sources and statuses, inspection conditions."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SettlementSource(models.TextChoices):
    MANUAL = "manual", _("Opened by staff")
    DUNNING = "dunning", _("Opened by dunning")


class SettlementStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("settlement status", "Open")
    INSPECTED = "inspected", pgettext_lazy("settlement status", "Inspected")
    STATEMENT_READY = "statement_ready", pgettext_lazy("settlement status", "Statement ready")
    APPROVED = "approved", pgettext_lazy("settlement status", "Approved")
    REJECTED = "rejected", pgettext_lazy("settlement status", "Rejected")
    CLOSED = "closed", pgettext_lazy("settlement status", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("settlement status", "Cancelled")


# A lease has at most one case in any of these statuses (uniq_active_settlement_per_lease).
FINISHED_STATUSES = (SettlementStatus.CLOSED, SettlementStatus.CANCELLED)
# The checklist and the move-out date may change in these statuses (until approval).
EDITABLE_STATUSES = (
    SettlementStatus.OPEN,
    SettlementStatus.INSPECTED,
    SettlementStatus.STATEMENT_READY,
    SettlementStatus.REJECTED,
)
# A statement may be (re)computed in these statuses; preparing again clears an approval.
PREPARABLE_STATUSES = (
    SettlementStatus.INSPECTED,
    SettlementStatus.STATEMENT_READY,
    SettlementStatus.REJECTED,
    SettlementStatus.APPROVED,
)


class ItemCondition(models.TextChoices):
    OK = "ok", pgettext_lazy("item condition", "OK")
    DAMAGED = "damaged", pgettext_lazy("item condition", "Damaged")
    MISSING = "missing", pgettext_lazy("item condition", "Missing")
