from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from anzu.core.forms import ServiceForm

# Fixed messages raised by the services, listed here so they are extracted for translation.
SERVICE_MESSAGES = [
    gettext_noop("The code is wrong or has expired."),
    gettext_noop("A current code from your authenticator is required."),
]


class TokenField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label=_("Code from the authenticator app"),
            max_length=10,
            widget=forms.TextInput(
                attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
            ),
            **kwargs,  # type: ignore[arg-type]
        )


class StepUpForm(ServiceForm):
    token = TokenField()


class EnrollStartForm(ServiceForm):
    name = forms.CharField(label=_("Device name"), max_length=64, initial=_("My phone"))


class EnrollConfirmForm(ServiceForm):
    token = TokenField()


class DeviceRemoveForm(ServiceForm):
    token = TokenField()
