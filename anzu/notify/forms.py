"""Forms of the notify pages. Placeholder rules live in the services; errors come back named."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from anzu.common.errors import DomainError
from anzu.core.forms import ServiceForm, localized_message
from anzu.notify.choices import TEMPLATE_LANGUAGES, Channel, MessageStatus
from anzu.notify.templating import PLACEHOLDERS

# Fixed messages raised by the notify services, listed so they are extracted for translation.
SERVICE_MESSAGES = [
    gettext_noop(
        "Unbalanced braces: write placeholders as {name} and a literal brace as {{ or }}."
    ),
    gettext_noop("A template with this code, channel and language already exists."),
    gettext_noop("SMS and WeChat messages need the template ID approved at the provider."),
    gettext_noop("Use letters, digits, '_', '-' or '.' in the code."),
    gettext_noop("Give one name=placeholder per line."),
    gettext_noop("A provider parameter name has 1 to 64 characters."),
]


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *MessageStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All")), *Channel.choices]
    )


class SandboxFilterForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All")), *Channel.choices]
    )


def notify_error_message(err: DomainError) -> str:
    """Localized text for the notify errors that carry a placeholder name."""
    name = err.extra.get("placeholder")
    if err.code == "unknown_placeholder" and name is not None:
        return gettext("Unknown placeholder {%(name)s}. Allowed: %(allowed)s.") % {
            "name": name,
            "allowed": ", ".join(sorted(PLACEHOLDERS)),
        }
    if err.code == "invalid_template" and name is not None:
        return gettext("Placeholder {%(name)s} may not carry a format or conversion.") % {
            "name": name
        }
    if err.code == "not_dead":
        return gettext("Only dead messages can be retried.")
    return localized_message(err)


class TemplateForm(ServiceForm):
    code = forms.CharField(label=_("Code"), max_length=64)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    language = forms.ChoiceField(label=_("Language"), choices=TEMPLATE_LANGUAGES)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Write placeholders as {amount}; a literal brace as {{ or }}."),
    )
    provider_template_id = forms.CharField(
        label=_("Provider template ID"),
        max_length=100,
        required=False,
        help_text=_(
            "SMS: the approved template code (Aliyun) or TemplateId (Tencent). WeChat: template_id."
        ),
    )
    provider_params = forms.CharField(
        label=_("Provider parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One name=placeholder per line, in the provider template's order. Leave blank to "
            "pass the body's placeholders under their own names."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def add_domain_error(self, err: DomainError) -> None:
        message = notify_error_message(err)
        if err.field and err.field in self.fields:
            self.add_error(err.field, message)
        else:
            self.add_error(None, message)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
