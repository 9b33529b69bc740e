"""Account lifecycle: the state of each staff account, its event history, the session keys
written at login, the hashes of credentials a freeze revoked, HR offboarding deliveries and SCIM
tokens.

Accounts are never deleted: a frozen account keeps its identity so the audit log keeps
referring to it. Every change goes through :mod:`anzu.risk.identity.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.risk.identity.choices import (
    AccountStatus,
    CredentialKind,
    EventKind,
    HrEventStatus,
    Source,
)


class AccountState(models.Model):
    """Lifecycle facts of one account that the user table does not hold."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_state"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    employee_id = models.CharField(_("employee id"), max_length=64, blank=True)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    service_account = models.BooleanField(_("service account"), default=False)
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_source = models.CharField(max_length=12, choices=Source.choices, blank=True)
    frozen_reason = models.CharField(max_length=300, blank=True)
    password_reset_required = models.BooleanField(default=False)
    reset_token_hash = models.CharField(max_length=64, blank=True)
    reset_expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "employee_id"],
                condition=~models.Q(employee_id=""),
                name="uniq_identity_employee_id",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"account {self.user_id}: {self.status}"


class AccountEvent(models.Model):
    """One step of an account's lifecycle: frozen, reactivated, password reset required…"""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_events"
    )
    kind = models.CharField(_("event"), max_length=32, choices=EventKind.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "kind", "at"]),
            models.Index(fields=["organization", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} ({self.source})"


class UserSession(models.Model):
    """A session key written at login, so a freeze finds the account's sessions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "id"]

    def __str__(self) -> str:
        return f"session of {self.user_id}"


class RevokedCredential(models.Model):
    """A credential of an account that a freeze made useless: a deleted session (written at
    freeze time) or a revoked API token (written when it is first presented again).

    Only the SHA-256 of the session key or token is stored, never the value. ``reported_at`` is
    the time of the last ``signin.revoked_credential`` audit event (at most one an hour).
    """

    kind = models.CharField(max_length=10, choices=CredentialKind.choices)
    key_hash = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revoked_at = models.DateTimeField()
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-revoked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key_hash"], name="uniq_identity_revoked_credential"
            )
        ]
        indexes = [models.Index(fields=["kind", "revoked_at"])]

    def __str__(self) -> str:
        return f"revoked {self.kind} of {self.user_id}"


class HrWebhookEvent(models.Model):
    """One accepted HR offboarding delivery; its event id is never accepted twice."""

    event_id = models.CharField(max_length=200, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body_sha256 = models.CharField(max_length=64)
    effective_at = models.DateTimeField()
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=HrEventStatus.choices)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "effective_at"])]

    def __str__(self) -> str:
        return f"hr {self.event_id} → {self.user_id} ({self.status})"


class ScimToken(models.Model):
    """A bearer token of one organization's identity provider; only its SHA-256 is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
