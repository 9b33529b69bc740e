"""Forms of the settlement pages. They parse what the browser sends; rules stay in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.billing.choices import PaymentChannel
from anzu.billing.settlement.choices import ItemCondition, SettlementSource, SettlementStatus
from anzu.core.forms import DateInput, ServiceForm


class OpenForm(ServiceForm):
    field_map = {"lease_id": "lease"}

    lease = forms.CharField(
        label=_("Lease"),
        max_length=40,
        help_text=_("Lease number (e.g. L2026-000123) or its id."),
    )
    move_out_date = forms.DateField(label=_("Move-out date"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ItemForm(ServiceForm):
    area = forms.CharField(label=_("Area / room"), max_length=100, required=False)
    item = forms.CharField(label=_("Item"), max_length=100, required=False)
    condition = forms.ChoiceField(
        label=_("Condition"), choices=ItemCondition.choices, initial=ItemCondition.OK
    )
    damage_amount = forms.CharField(label=_("Damage (¥)"), max_length=20, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("area") or data.get("item") or data.get("damage_amount"))


ItemFormSet = forms.formset_factory(ItemForm, extra=3, can_delete=True, max_num=200)


class InspectionForm(ServiceForm):
    move_out_date = forms.DateField(label=_("Move-out date"), required=False, widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReasonForm(ServiceForm):
    """Reject or cancel: the reason is checked by the service, which names the field."""

    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(ServiceForm):
    refund_channel = forms.ChoiceField(
        label=_("Refund channel"),
        required=False,
        choices=[("", "—"), *PaymentChannel.choices],
        help_text=_("How the rest of the deposit is paid back (needed when there is a refund)."),
    )
    refund_reference = forms.CharField(label=_("Refund reference"), max_length=64, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *SettlementStatus.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", "—"), *SettlementSource.choices]
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
