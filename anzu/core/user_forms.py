"""Forms of the account administration pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.choices import Role
from anzu.core.forms import ServiceForm


class _ScopeFields(ServiceForm):
    scope_all = forms.BooleanField(
        label=_("Sees the whole organization"),
        required=False,
        help_text=_("Otherwise only the projects and buildings chosen below."),
    )
    project_ids = forms.TypedMultipleChoiceField(
        label=_("Projects"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    building_ids = forms.TypedMultipleChoiceField(
        label=_("Buildings"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, projects: Any = (), buildings: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project_ids"].choices = [(p.pk, f"{p.code} {p.name}") for p in projects]  # type: ignore[attr-defined]
        self.fields["building_ids"].choices = [  # type: ignore[attr-defined]
            (b.pk, f"{b.project.name} · {b.name}") for b in buildings
        ]


class StaffUserForm(_ScopeFields):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave blank to generate one; it is shown once."),
    )
    field_order = [
        "username",
        "display_name",
        "email",
        "roles",
        "password",
        "scope_all",
        "project_ids",
        "building_ids",
    ]


class RolesForm(ServiceForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )


class ScopeForm(_ScopeFields):
    pass


class TenantUserForm(ServiceForm):
    customer_id = forms.IntegerField(label=_("Customer number"), min_value=1)
    username = forms.CharField(label=_("Username"), max_length=150)
