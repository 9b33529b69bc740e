"""Forms of the portal pages. They parse what the browser sends; rules stay in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.forms import ServiceForm


class PayForm(ServiceForm):
    """Start paying: the bills (comma-separated ids) or a whole lease, and the total shown."""

    bill_ids = forms.CharField(widget=forms.HiddenInput, required=False, label=_("Bills"))
    lease_id = forms.IntegerField(widget=forms.HiddenInput, required=False, label=_("Lease"))
    amount = forms.CharField(widget=forms.HiddenInput, max_length=20, label=_("Amount (¥)"))

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["bill_ids"] = [v for v in (data.get("bill_ids") or "").split(",") if v.strip()]
        return data
