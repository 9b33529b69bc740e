"""Forms of the billing pages. They parse what the browser sends; rules stay in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.billing.choices import BillKind, BillStatus, PaymentChannel
from anzu.core.forms import DateInput, ServiceForm

MANUAL_KIND_CHOICES = [
    (BillKind.PROPERTY_FEE.value, BillKind.PROPERTY_FEE.label),
    (BillKind.UTILITY.value, BillKind.UTILITY.label),
    (BillKind.OTHER.value, BillKind.OTHER.label),
]


class PaymentForm(ServiceForm):
    """Record a payment. Amount is text so the service names the problem (zero, negative…)."""

    lease_id = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=_("Channel"), choices=PaymentChannel.choices)
    amount = forms.CharField(label=_("Amount (¥)"), max_length=20)
    received_at = forms.DateField(label=_("Received on"), required=False, widget=DateInput())
    reference = forms.CharField(
        label=_("Reference"),
        max_length=64,
        required=False,
        help_text=_("Bank serial or WeChat/Alipay transaction number; recorded once only."),
    )
    payer_name = forms.CharField(label=_("Payer name"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ChargeForm(ServiceForm):
    lease_id = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=MANUAL_KIND_CHOICES)
    amount = forms.CharField(label=_("Amount (¥)"), max_length=20)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    period_start = forms.DateField(label=_("Period start"), required=False, widget=DateInput())
    period_end = forms.DateField(label=_("Period end"), required=False, widget=DateInput())
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class DepositRefundForm(ServiceForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=PaymentChannel.choices)
    amount = forms.CharField(
        label=_("Amount (¥)"),
        max_length=20,
        required=False,
        help_text=_("Leave blank to refund all the deposit held."),
    )
    reference = forms.CharField(label=_("Reference"), max_length=64, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class CreditRefundForm(ServiceForm):
    payment_id = forms.IntegerField(label=_("Payment #"), min_value=1)
    amount = forms.CharField(label=_("Amount (¥)"), max_length=20)
    channel = forms.ChoiceField(label=_("Channel"), choices=PaymentChannel.choices)
    reference = forms.CharField(label=_("Reference"), max_length=64, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class WriteOffForm(ServiceForm):
    bill_id = forms.IntegerField(label=_("Bill #"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReceivablesFilterForm(forms.Form):
    project_id = forms.TypedChoiceField(
        label=_("Project"), required=False, coerce=int, empty_value=None
    )
    building_id = forms.TypedChoiceField(
        label=_("Building"), required=False, coerce=int, empty_value=None
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", "—"), *BillKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", "—"), *BillStatus.choices],
        initial=BillStatus.OPEN,
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("Due to"), required=False, widget=DateInput())
    overdue_only = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(
        self,
        *args: Any,
        projects: list[tuple[int, str]],
        buildings: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project_id"].choices = [("", "—"), *projects]  # type: ignore[attr-defined]
        self.fields["building_id"].choices = [("", "—"), *buildings]  # type: ignore[attr-defined]
