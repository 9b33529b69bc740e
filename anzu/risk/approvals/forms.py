"""Forms of the approval pages: a decision (with its reason) and a rule change."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.forms import ServiceForm


class DecisionForm(ServiceForm):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class RuleForm(ServiceForm):
    conditions = forms.CharField(
        label=_("Conditions"),
        max_length=200,
        help_text=_('{"always": true} or {"amount_gte": "5000.00"}'),
    )
    checkers_required = forms.IntegerField(label=_("Checkers required"), min_value=1, max_value=3)
    checker_capability = forms.CharField(label=_("Checker capability"), max_length=60)
    active = forms.BooleanField(label=_("Active"), required=False)

    def clean_conditions(self) -> Any:
        try:
            return json.loads(self.cleaned_data["conditions"])
        except ValueError:
            raise forms.ValidationError(_("Enter valid JSON.")) from None
