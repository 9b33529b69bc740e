"""Customers (租客) and leases (租约/合同)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.common.crypto import EncryptedTextField
from anzu.core.models import Organization
from anzu.leasing.choices import CustomerKind, DueDayRule, IdType, LeaseStatus


class Customer(models.Model):
    """A tenant: a person or a company. ID number and phone are encrypted at rest.

    ``id_number_index`` / ``phone_index`` are keyed hashes (blind indexes) for exact look-ups and
    uniqueness without the cleartext.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="customers"
    )
    project = models.ForeignKey(
        "portfolio.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        help_text="Project where the customer was registered (for staff scope).",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CustomerKind.choices)
    name = models.CharField(_("name"), max_length=200)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices)
    id_number = EncryptedTextField(_("ID number"))
    id_number_index = models.CharField(max_length=64)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    # The customer's openid under the operator's WeChat Official Account (template messages).
    wechat_openid = EncryptedTextField(_("WeChat openid"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Recorded in the audit log only as keyed hashes under the customer's SubjectKey.
    AUDIT_PERSONAL_FIELDS = ("name", "id_number", "phone", "email", "wechat_openid", "notes")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id_type", "id_number_index"], name="uniq_customer_identity"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return f"customer #{self.pk}"


class Lease(models.Model):
    """A lease of one unit to one customer. Its status changes only through services.

    ``occupied_until`` is the last day the lease holds the unit: the end date, or the
    termination date once terminated. Non-void leases of one unit never overlap on
    ``[start_date, occupied_until]`` (PostgreSQL exclusion constraint; SQLite write lock + check).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="leases")
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.PROTECT, related_name="leases"
    )
    building = models.ForeignKey(
        "portfolio.Building", on_delete=models.PROTECT, related_name="leases"
    )
    unit = models.ForeignKey("portfolio.Unit", on_delete=models.PROTECT, related_name="leases")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="leases")
    code = models.CharField(_("lease number"), max_length=40)
    status = models.CharField(
        _("status"), max_length=20, choices=LeaseStatus.choices, default=LeaseStatus.DRAFT
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    occupied_until = models.DateField()
    monthly_rent = models.DecimalField(_("monthly rent"), max_digits=12, decimal_places=2)
    deposit_months = models.PositiveSmallIntegerField(_("deposit months (押N)"), default=1)
    pay_months = models.PositiveSmallIntegerField(_("months per payment (付M)"), default=1)
    deposit = models.DecimalField(_("deposit"), max_digits=12, decimal_places=2)
    due_day_rule = models.CharField(
        _("due-day rule"),
        max_length=24,
        choices=DueDayRule.choices,
        default=DueDayRule.DAYS_BEFORE_PERIOD,
    )
    due_day_value = models.SmallIntegerField(_("due-day value"), default=0)
    rent_free_periods = models.JSONField(_("rent-free periods"), default=list, blank=True)
    escalation_pct = models.DecimalField(
        _("escalation %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    escalation_every_months = models.PositiveSmallIntegerField(
        _("escalation interval (months)"), null=True, blank=True
    )
    late_fee_daily_rate = models.DecimalField(
        _("late fee daily rate"), max_digits=6, decimal_places=5, default=0
    )
    late_fee_grace_days = models.PositiveSmallIntegerField(_("late fee grace days"), default=0)
    allows_access_freeze = models.BooleanField(_("lease allows access freeze"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    # Who activated it: the maker of the executed approval (its checkers are on that request).
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terminated_on = models.DateField(_("termination date"), null=True, blank=True)
    termination_reason = models.CharField(_("termination reason"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="uniq_lease_code"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="lease_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(occupied_until__gte=models.F("start_date")),
                name="lease_occupancy_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_rent__gte=0) & models.Q(deposit__gte=0),
                name="lease_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "start_date"]),
            models.Index(fields=["organization", "status", "end_date"]),
            models.Index(fields=["organization", "-start_date", "-id"]),
            models.Index(fields=["customer"]),
            # The dunning run's "leases changed since the last run" read.
            models.Index(fields=["organization", "updated_at"], name="lease_org_changed"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def payment_cycle_label(self) -> str:
        return f"押{self.deposit_months}付{self.pay_months}"
