"""Forms of the contract archive pages (parsing only; the rules are in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.contracts.choices import ContractStatus, RiskLevel
from anzu.core.forms import ServiceForm


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ContractFilterForm(forms.Form):
    project = forms.TypedChoiceField(
        label=_("Project"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *ContractStatus.choices]
    )
    risk = forms.ChoiceField(
        label=_("Risk level"), required=False, choices=[("", _("All")), *RiskLevel.choices]
    )

    def __init__(self, *args: Any, projects: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", _("All")), *[(p.pk, p.name) for p in projects]]  # type: ignore[attr-defined]


class ContractUploadForm(ServiceForm):
    file = forms.FileField(label=_("Contract file"), help_text=_("PDF, JPEG, PNG or TIFF."))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    field_map = {"unit_id": "unit", "lease_id": "unit", "project_id": "unit", "building_id": "unit"}

    def __init__(self, *args: Any, units: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", _("Not linked to a unit")),
            *[(u.pk, f"{u.project.name} · {u.building.name} · {u.code}") for u in units],
        ]


class BatchUploadForm(ServiceForm):
    uploads = MultipleFileField(
        label=_("Files"), help_text=_("Several contract files, or zip archives of them.")
    )
    project = forms.TypedChoiceField(
        label=_("Project"), required=False, coerce=int, empty_value=None
    )
    field_map = {"project_id": "project", "files": "uploads", "file": "uploads"}

    def __init__(self, *args: Any, projects: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", "—"), *[(p.pk, p.name) for p in projects]]  # type: ignore[attr-defined]


class FieldCorrectForm(ServiceForm):
    value = forms.CharField(label=_("Correct value"), max_length=2000, required=False)


class RuleSetForm(ServiceForm):
    """Thresholds (one input each) and the enabled rules (checkboxes); built from the engine."""

    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from anzu.contracts.review import DEFAULT_THRESHOLDS, RULE_CODES

        super().__init__(*args, **kwargs)
        for key, default in DEFAULT_THRESHOLDS.items():
            self.fields[f"t_{key}"] = forms.CharField(
                label=key, required=False, help_text=_("Default: %(v)s") % {"v": default}
            )
        self.fields["enabled_codes"] = forms.MultipleChoiceField(
            label=_("Enabled rules"),
            required=False,
            choices=[(c, c) for c in RULE_CODES],
            widget=forms.CheckboxSelectMultiple,
        )

    def add_domain_error(self, err: Any) -> None:
        if err.field and err.field.startswith("thresholds."):
            err.field = "t_" + err.field.split(".", 1)[1]
        super().add_domain_error(err)

    def service_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "thresholds": {
                k[2:]: v for k, v in data.items() if k.startswith("t_") and v not in (None, "")
            },
            "enabled_codes": list(data.get("enabled_codes") or []),
            "note": data.get("note") or "",
        }
