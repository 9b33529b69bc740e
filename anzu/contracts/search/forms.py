from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.contracts.choices import ContractStatus, RiskLevel
from anzu.contracts.search.choices import RenewalState
from anzu.core.forms import ServiceForm


class ProjectFilterForm(forms.Form):
    project = forms.TypedChoiceField(
        label=_("Project"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, projects: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", _("All projects")), *projects]  # type: ignore[attr-defined]


class SearchForm(ServiceForm):
    field_map = {"project_id": "project"}

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    project = forms.TypedChoiceField(
        label=_("Project"), coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *ContractStatus.choices]
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"), required=False, choices=[("", _("All")), *RiskLevel.choices]
    )
    rent_min = forms.DecimalField(
        label=_("Monthly rent from"), required=False, min_value=0, decimal_places=2
    )
    rent_max = forms.DecimalField(
        label=_("Monthly rent to"), required=False, min_value=0, decimal_places=2
    )
    expiring_within_days = forms.TypedChoiceField(
        label=_("Expiring within"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[
            ("", _("Any time")),
            (30, _("30 days")),
            (60, _("60 days")),
            (90, _("90 days")),
            (180, _("180 days")),
            (365, _("1 year")),
        ],
    )

    def __init__(
        self, *args: Any, projects: list[tuple[int, str]], sees_amounts: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", _("All projects")), *projects]  # type: ignore[attr-defined]
        if not sees_amounts:
            del self.fields["rent_min"]
            del self.fields["rent_max"]


class RenewalForm(ServiceForm):
    state = forms.ChoiceField(label=_("Renewal status"), choices=RenewalState.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.TextInput()
    )
