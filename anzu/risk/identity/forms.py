"""Forms of the account lifecycle pages (parsing only; the rules are in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.forms import ServiceForm


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ProfileForm(ServiceForm):
    employee_id = forms.CharField(
        label=_("Employee id"),
        max_length=64,
        required=False,
        help_text=_("The id the HR system sends in offboarding deliveries."),
    )
    service_account = forms.BooleanField(
        label=_("Service account (never frozen for dormancy)"), required=False
    )


class ScimTokenForm(ServiceForm):
    name = forms.CharField(label=_("Token name"), max_length=100)


class PasswordSetForm(ServiceForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    confirm = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput, strip=False
    )
