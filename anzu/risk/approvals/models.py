"""Maker-checker approvals: rules (data, per organization), requests and checkers' decisions.

A guarded action asked through the UI or the API becomes an :class:`ApprovalRequest` holding the
exact command (action code and JSON arguments), a readable diff and the precondition version
observed when it was asked. Enough distinct checkers approve it and the command runs, in the same
transaction, only if the precondition still holds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.risk.approvals.choices import Decision, RequestStatus


class ApprovalRule(models.Model):
    """How one guarded action is approved in one organization (versioned on every change).

    ``conditions``: ``{"always": true}`` or ``{"amount_gte": "5000.00"}`` (the command's amount
    at or above the threshold). An action whose condition does not hold runs at once.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    conditions = models.JSONField(_("conditions"), default=dict)
    checkers_required = models.PositiveSmallIntegerField(_("checkers required"), default=1)
    checker_capability = models.CharField(_("checker capability"), max_length=60)
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id", "action", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "action"], name="uniq_approval_rule"),
            models.CheckConstraint(
                condition=Q(checkers_required__gte=1) & Q(checkers_required__lte=3),
                name="approval_rule_checkers_1_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} v{self.version}"


class ApprovalRequest(models.Model):
    """One command waiting for (or past) its checkers' decisions."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    args = models.JSONField(_("command"), default=dict)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    diff = models.JSONField(_("changes"), default=list)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    project_id = models.IntegerField(null=True, blank=True)
    building_id = models.IntegerField(null=True, blank=True)
    precondition = models.CharField(_("precondition version"), max_length=200)
    rule = models.ForeignKey(
        ApprovalRule, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    rule_version = models.PositiveIntegerField(default=1)
    checkers_required = models.PositiveSmallIntegerField(default=1)
    checker_capability = models.CharField(max_length=60)
    # People who may never decide this request besides the maker (e.g. a lease's creator).
    excluded_checkers = models.JSONField(default=list)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A checker the maker designated; anyone with the capability may still decide.",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("created at"))
    decided_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checkers_required__gte=1) & Q(checkers_required__lte=3),
                name="approval_request_checkers_1_3",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "created_at"], name="approval_org_status"
            ),
            models.Index(fields=["maker", "status"], name="approval_maker_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} ({self.status})"


class ApprovalDecision(models.Model):
    """A checker's approval or rejection (a rejection carries its reason)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField()
    # A decision stops counting when its checker's account is frozen before the request runs.
    void_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "checker"],
                condition=Q(void_reason=""),
                name="uniq_approval_decision",
            ),
            models.CheckConstraint(
                condition=~Q(decision=Decision.REJECT) | ~Q(reason=""),
                name="approval_reject_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} by {self.checker_id} on #{self.request_id}"
