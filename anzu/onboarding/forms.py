from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.onboarding.choices import ImportKind


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx workbook made from the template, or one .csv file per kind."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    kind = forms.ChoiceField(
        label=_("Contents"), choices=ImportKind.choices, initial=ImportKind.AUTO
    )
    partial = forms.BooleanField(
        label=_("Import the valid rows even if some rows have errors"), required=False
    )
    dry_run = forms.BooleanField(label=_("Validate only, write nothing"), required=False)
