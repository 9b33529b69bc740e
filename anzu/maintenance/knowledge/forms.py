"""Forms of the reporting page and the staff editor (parsing only; rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.forms import DateInput, ServiceForm
from anzu.maintenance.knowledge import categories
from anzu.maintenance.knowledge.choices import Urgency


class IdentifyForm(ServiceForm):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        required=False,
        help_text=_("Needed if you are not the tenant of this room."),
    )


class CodeForm(ServiceForm):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ReportForm(ServiceForm):
    description = forms.CharField(
        label=_("What is wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    name = forms.CharField(label=_("Your name"), max_length=60, required=False)

    def __init__(self, *args: Any, visitor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if visitor:
            self.fields["name"].required = True
        else:
            del self.fields["name"]


class ArticleForm(ServiceForm):
    category_code = forms.ChoiceField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Paragraphs separated by a blank line; lines starting with 1. 2. … are steps."),
    )
    safety_note = forms.CharField(
        label=_("Safety note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_published = forms.BooleanField(label=_("Published"), required=False, initial=True)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, initial=100)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category_code"].choices = categories.choices()  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class QrRotateForm(ServiceForm):
    max_age_days = forms.IntegerField(
        label=_("Codes valid for (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave blank for codes that do not expire."),
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date is before the start date."))
        return data
