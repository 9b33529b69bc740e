"""Forms of the statement pages. They parse what the browser sends; rules stay in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.billing.reconciliation.choices import LineStatus
from anzu.core.forms import ServiceForm

ACCEPT = ".csv,.xlsx,.sta,.mt940,.940,.txt"


class UploadForm(ServiceForm):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("A bank export as .csv (UTF-8 or GBK) or .xlsx, or an MT940 file."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    account = forms.CharField(
        label=_("Account number"),
        max_length=64,
        required=False,
        help_text=_("Your account the statement is for; read from the file when left blank."),
    )


class LineFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *LineStatus.choices]
    )


class AssignForm(ServiceForm):
    """Assign a line: a suggested lease, a lease code typed in, or a suggested customer."""

    lease_id = forms.TypedChoiceField(
        label=_("Suggested lease"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    lease_code = forms.CharField(label=_("Or lease number"), max_length=40, required=False)
    customer_id = forms.TypedChoiceField(
        label=_("Or customer (no lease)"), required=False, coerce=int, empty_value=None
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        leases: list[tuple[int, str]] = (),  # type: ignore[assignment]
        customers: list[tuple[int, str]] = (),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lease_id"].choices = list(leases)  # type: ignore[attr-defined]
        self.fields["customer_id"].choices = [("", "—"), *customers]  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["lease_code"] = data.get("lease_code") or ""
        data["note"] = data.get("note") or ""
        return data


class IgnoreForm(ServiceForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Why no payment is recorded, e.g. a refund or a transfer between accounts."),
    )
