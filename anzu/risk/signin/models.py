"""Login risk: every decision with its signals, and what is known about each user's devices and
networks (learned from successful logins)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anzu.risk.signin.choices import AttemptKind, Decision, Outcome


class LoginAttempt(models.Model):
    """One risk decision: a login (or a failed password, or a refused attempt inside a delay
    window), a velocity check of sensitive operations, or a refused API token.

    ``user`` is empty when the attempted user name matches no account; ``username`` keeps what
    was typed. ``signals`` is a list of ``{"name", "weight", "detail"}``.
    """

    organization = models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="login_attempts",
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    kind = models.CharField(max_length=12, choices=AttemptKind.choices, default=AttemptKind.LOGIN)
    ip = models.GenericIPAddressField(null=True, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    signals = models.JSONField(default=list)
    score = models.PositiveIntegerField(default=0)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["ip", "at"]),
            models.Index(fields=["user", "at"]),
            models.Index(fields=["organization", "at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__lte=1000), name="signin_attempt_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username or '?'} {self.kind} {self.decision or '-'} {self.outcome}"

    @property
    def signal_names(self) -> list[str]:
        return [str(s.get("name", "")) for s in self.signals if isinstance(s, dict)]


class KnownDevice(models.Model):
    """A browser (identified by the signed device cookie) a user has logged in from."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices"
    )
    device_id = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=300, blank=True)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "-last_seen_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id"], name="uniq_signin_known_device")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.device_id[:8]}"


class KnownNetwork(models.Model):
    """A network (/24 for IPv4, /48 for IPv6) a user has logged in from."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_networks"
    )
    network = models.CharField(max_length=50)
    logins = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "network"]
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="uniq_signin_known_network")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.network}"
