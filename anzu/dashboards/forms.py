"""The KPI page's filter form: as-of date, period and project."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.forms import DateInput


class CollectionFilterForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput())
    start = forms.DateField(label=_("Period from"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Period to"), required=False, widget=DateInput())
    project_id = forms.TypedChoiceField(
        label=_("Project"), required=False, coerce=int, empty_value=None
    )
    error_css_class = "has-error"

    def __init__(self, *args: Any, projects: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project_id"].choices = [("", _("All projects")), *projects]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period ends before it starts."))
        return data
