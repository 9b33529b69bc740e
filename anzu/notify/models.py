"""Outbox, delivery log, in-app inbox, message templates and the sandbox's record."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.common.crypto import EncryptedTextField
from anzu.core.models import Organization
from anzu.notify.choices import TEMPLATE_LANGUAGES, AttemptOutcome, Channel, MessageStatus


class MessageTemplate(models.Model):
    """The text of one message kind (``code``) for one channel and language.

    ``subject`` and ``body`` use ``{placeholder}`` fields from a fixed catalog
    (:data:`anzu.notify.templating.PLACEHOLDERS`). For SMS and WeChat the provider holds its own
    approved template: ``provider_template_id`` names it and ``provider_params`` maps the
    provider's parameter names, in order, to our placeholders.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="message_templates"
    )
    code = models.CharField(_("code"), max_length=64)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=TEMPLATE_LANGUAGES, default="zh-hans"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    provider_template_id = models.CharField(_("provider template ID"), max_length=100, blank=True)
    provider_params = models.JSONField(_("provider parameters"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "channel", "language", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code", "channel", "language"],
                name="uniq_message_template",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.channel} · {self.language}"


class OutboxMessage(models.Model):
    """One message to deliver, written in the same transaction as the change that caused it.

    Workers claim a row by setting ``claimed_until`` (a lease) and ``claim_token``; a claim that
    expires without an outcome (a killed worker) is picked up again by the sweeper.
    ``idempotency_key`` is unique per organization: enqueueing it twice yields one row.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="outbox_messages"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    customer = models.ForeignKey(
        "leasing.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    # Phone number, e-mail address or WeChat openid; encrypted at rest (PIPL).
    address = EncryptedTextField(_("address"), blank=True)
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    template_code = models.CharField(_("template code"), max_length=64, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    provider_template_id = models.CharField(max_length=100, blank=True)
    # [[provider parameter name, rendered value], ...] in the provider's order.
    provider_params = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField()
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="uniq_outbox_idempotency_key"
            ),
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False)
                | models.Q(user__isnull=False)
                | ~models.Q(address=""),
                name="outbox_has_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["status", "claimed_until"], name="outbox_claims"),
            models.Index(fields=["organization", "status", "-created_at"], name="outbox_monitor"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} {self.status}"

    @property
    def provider_key(self) -> str:
        """The idempotency key as providers see it: short, stable, free of personal data."""
        digest = hashlib.sha256(
            f"{self.organization_id}:{self.idempotency_key}".encode()
        ).hexdigest()
        return f"anzu{digest[:28]}"


class DeliveryAttempt(models.Model):
    """One try to hand a message to its provider, successful or not."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    number = models.PositiveSmallIntegerField()
    provider = models.CharField(max_length=32)
    outcome = models.CharField(max_length=12, choices=AttemptOutcome.choices)
    provider_message_id = models.CharField(max_length=128, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["message_id", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id}#{self.number} {self.outcome}"


class InboxMessage(models.Model):
    """An in-app message for a customer (tenant portal) or a staff user."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="inbox_messages"
    )
    customer = models.ForeignKey(
        "leasing.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    outbox_message = models.OneToOneField(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbox"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["user", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.subject or self.body[:40]


class SandboxMessage(models.Model):
    """What a real provider would have received, kept by the sandbox provider.

    One row per outbox message: like a provider honouring an idempotency key, the sandbox
    records a message once however often it is handed over.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    outbox_message = models.OneToOneField(
        OutboxMessage, on_delete=models.CASCADE, related_name="sandbox_record"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    address = EncryptedTextField(blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    provider_template_id = models.CharField(max_length=100, blank=True)
    provider_params = models.JSONField(default=list, blank=True)
    provider_key = models.CharField(max_length=64)
    handovers = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sandbox {self.channel} #{self.outbox_message_id}"
