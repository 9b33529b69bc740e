from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT_TEMPLATE = "wechat_template", _("WeChat template message")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead")


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    RETRYABLE = "retryable", _("Failed, retryable")
    PERMANENT = "permanent", _("Failed, permanent")
    CLAIM_LOST = "claim_lost", _("Sent after the claim expired")


# Languages a template can be written in (the UI's languages).
TEMPLATE_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
