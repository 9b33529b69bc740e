"""Choices of the account lifecycle: account status, event kinds, their sources and the kinds
of revoked credentials."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("account", "Active")
    FROZEN = "frozen", _("Frozen")


class EventKind(models.TextChoices):
    FROZEN = "frozen", _("Frozen")
    REACTIVATED = "reactivated", _("Reactivated")
    PASSWORD_RESET_REQUIRED = "password_reset_required", _("Password reset required")
    PASSWORD_SET = "password_set", _("New password set")
    FREEZE_SCHEDULED = "freeze_scheduled", _("Freeze scheduled")


class Source(models.TextChoices):
    HR_WEBHOOK = "hr_webhook", _("HR offboarding")
    SCIM = "scim", _("SCIM provisioning")
    DORMANT = "dormant", _("Dormancy")
    MANUAL = "manual", _("Administrator")


class HrEventStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    SCHEDULED = "scheduled", _("Scheduled")


class CredentialKind(models.TextChoices):
    SESSION = "session", _("Session")
    API_TOKEN = "api_token", _("API token")
