"""Online payment orders of the tenant portal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anzu.core.models import Organization
from anzu.portal.choices import CheckoutKind, PaymentOrderStatus, PaymentProviderName


class PaymentOrder(models.Model):
    """A tenant's request to pay bills online (支付订单), one per attempt.

    ``bills`` holds the ids of the bills the tenant chose (the oldest open bills of one lease);
    ``amount`` is their outstanding total when the order was made. ``out_trade_no`` is the
    merchant order number sent to the provider. When the provider confirms the payment, the
    order becomes ``paid`` and points to the billing payment recorded for it — exactly once,
    however often the provider repeats its notification.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("leasing.Customer", on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(
        "leasing.Lease", on_delete=models.PROTECT, related_name="payment_orders"
    )
    bills = models.JSONField(_("bills"), default=list)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    provider = models.CharField(_("provider"), max_length=20, choices=PaymentProviderName.choices)
    out_trade_no = models.CharField(_("order number"), max_length=32, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentOrderStatus.choices,
        default=PaymentOrderStatus.CREATED,
    )
    provider_transaction_id = models.CharField(
        _("provider transaction id"), max_length=64, blank=True
    )
    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checkout_kind = models.CharField(
        max_length=10, choices=CheckoutKind.choices, blank=True, default=CheckoutKind.NONE
    )
    checkout_value = models.CharField(max_length=500, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_order_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_transaction_id"],
                condition=~Q(provider_transaction_id=""),
                name="uniq_payment_order_transaction",
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentOrderStatus.PAID)
                | (Q(paid_at__isnull=False) & Q(payment__isnull=False)),
                name="payment_order_paid_has_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="payorder_customer"),
            models.Index(
                fields=["expires_at"],
                condition=Q(status=PaymentOrderStatus.CREATED),
                name="payorder_open_expiry",
            ),
        ]

    def __str__(self) -> str:
        return self.out_trade_no
