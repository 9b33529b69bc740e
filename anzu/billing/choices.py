"""Choices of the billing app: bill kinds and statuses, payment channels, deposit entries."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BillKind(models.TextChoices):
    RENT = "rent", _("Rent")
    DEPOSIT = "deposit", _("Deposit")
    PROPERTY_FEE = "property_fee", _("Property fee")
    UTILITY = "utility", _("Utilities")
    LATE_FEE = "late_fee", _("Late fee")
    OTHER = "other", _("Other charge")


# Allocation order among bills due on the same day: the order of BillKind above.
KIND_ORDER: dict[str, int] = {kind.value: rank for rank, kind in enumerate(BillKind)}

# Bills the generation run creates, one per (lease, kind, period_start).
GENERATED_KINDS = (BillKind.RENT, BillKind.DEPOSIT)
# Bills a person adds through the manual-charge service.
MANUAL_KINDS = (BillKind.PROPERTY_FEE, BillKind.UTILITY, BillKind.OTHER)
# Bills on whose overdue amount a late fee accrues.
LATE_FEE_BASE_KINDS = (BillKind.RENT, BillKind.PROPERTY_FEE, BillKind.UTILITY, BillKind.OTHER)


class BillStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class PaymentChannel(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    UNIONPAY_DEBIT = "unionpay_debit", _("UnionPay direct debit")
    CASH = "cash", _("Cash")


class DepositEntryKind(models.TextChoices):
    HELD = "held", _("Held")
    OFFSET = "offset", _("Offset against bills")
    REFUNDED = "refunded", _("Refunded")


class RefundKind(models.TextChoices):
    CREDIT = "credit", _("Credit refund")
    DEPOSIT = "deposit", _("Deposit refund")
