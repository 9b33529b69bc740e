"""Choices of the portal app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PaymentOrderStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("payment order", "Awaiting payment")
    PAID = "paid", pgettext_lazy("payment order", "Paid")
    FAILED = "failed", pgettext_lazy("payment order", "Failed")
    EXPIRED = "expired", pgettext_lazy("payment order", "Expired")


class PaymentProviderName(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (no money moves)")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")


class CheckoutKind(models.TextChoices):
    NONE = "", _("Not started")
    REDIRECT = "redirect", _("Open a page")
    QR = "qr", _("Scan a QR code")


# Archived documents a tenant sees for their leases.
NOTICE_KINDS = ("formal_notice", "lawyer_letter", "settlement_statement")
