from django.db import models
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    ALLOW = "allow", _("Allow")
    STEP_UP = "step_up", _("Step-up")
    DENY = "deny", _("Deny")


class AttemptKind(models.TextChoices):
    LOGIN = "login", _("Login")
    OPERATION = "operation", _("Sensitive operations")
    TOKEN = "token", _("API token")


class Outcome(models.TextChoices):
    LOGGED_IN = "logged_in", _("Logged in")
    BAD_PASSWORD = "bad_password", _("Wrong user name or password")
    THROTTLED = "throttled", _("Too many attempts")
    STEP_UP_REQUIRED = "step_up_required", _("Waiting for a TOTP code")
    STEP_UP_PASSED = "step_up_passed", _("TOTP code accepted")
    STEP_UP_FAILED = "step_up_failed", _("TOTP code refused")
    ENROLL_REQUIRED = "enroll_required", _("Enrolling a TOTP device")
    DENIED = "denied", _("Denied")
    FLAGGED = "flagged", _("Flagged")
    BAD_TOKEN = "bad_token", _("Invalid API token")


# Outcomes of a login that ended with an authenticated session.
SUCCESS_OUTCOMES = (Outcome.LOGGED_IN, Outcome.STEP_UP_PASSED)


SIGNAL_LABELS = {
    "new_device": _("New device"),
    "new_network": _("New network"),
    "new_region": _("New region"),
    "impossible_travel": _("Impossible travel"),
    "unusual_hour": _("Unusual hour"),
    "failures_user": _("Failed passwords for this user"),
    "failures_ip": _("Failed passwords from this IP"),
    "sensitive_velocity": _("Sensitive operations too fast"),
    "delay": _("Waiting after failures"),
}
