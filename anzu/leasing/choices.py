from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAU_PERMIT = "hk_macau_permit", _("Mainland travel permit (HK/Macau)")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit (Taiwan)")
    FOREIGN_PR = "foreign_pr", _("Foreign permanent resident ID")
    USCC = "uscc", _("Unified social credit code")


class LeaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    ACTIVE = "active", _("Active")
    TERMINATED = "terminated", _("Terminated")
    EXPIRED = "expired", _("Expired")
    VOID = "void", _("Void")


# A lease occupies its unit over [start_date, occupied_until] in every status but void:
# a draft or pending lease reserves the unit, an active one occupies it, and a terminated or
# expired one keeps the days it actually ran. See docs/adr/0002-lease-occupancy.md.
NON_OCCUPYING_STATUSES = frozenset({LeaseStatus.VOID})

LEASE_TRANSITIONS: dict[str, frozenset[str]] = {
    LeaseStatus.DRAFT: frozenset({LeaseStatus.PENDING_APPROVAL, LeaseStatus.VOID}),
    LeaseStatus.PENDING_APPROVAL: frozenset(
        {LeaseStatus.ACTIVE, LeaseStatus.DRAFT, LeaseStatus.VOID}
    ),
    LeaseStatus.ACTIVE: frozenset({LeaseStatus.TERMINATED, LeaseStatus.EXPIRED}),
    LeaseStatus.TERMINATED: frozenset(),
    LeaseStatus.EXPIRED: frozenset(),
    LeaseStatus.VOID: frozenset(),
}


class DueDayRule(models.TextChoices):
    DAYS_BEFORE_PERIOD = "days_before_period", _("N days before the period starts")
    DAY_OF_MONTH = "day_of_month", _("Fixed day of the month")


PAYMENT_CYCLE_MONTHS = (1, 3, 6, 12)
