"""Forms for customers and leases. They parse input; the services enforce the business rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.forms import DateInput, ServiceForm
from anzu.leasing.choices import CustomerKind, DueDayRule, IdType, LeaseStatus
from anzu.leasing.models import Customer, Lease

PAY_MONTH_CHOICES = [
    (1, _("Monthly (pay 1 month)")),
    (3, _("Quarterly (pay 3 months)")),
    (6, _("Half-yearly (pay 6 months)")),
    (12, _("Yearly (pay 12 months)")),
]


def _label(model: Any, name: str) -> Any:
    return model._meta.get_field(name).verbose_name


def _capfirst_label(model: Any, name: str) -> Any:
    from django.utils.text import capfirst

    return capfirst(_label(model, name))


# Customers --------------------------------------------------------------------------------------


class CustomerForm(ServiceForm):
    kind = forms.ChoiceField(label=_capfirst_label(Customer, "kind"), choices=CustomerKind.choices)
    name = forms.CharField(label=_capfirst_label(Customer, "name"), max_length=200)
    id_type = forms.ChoiceField(label=_capfirst_label(Customer, "id_type"), choices=IdType.choices)
    id_number = forms.CharField(label=_capfirst_label(Customer, "id_number"), max_length=40)
    phone = forms.CharField(label=_capfirst_label(Customer, "phone"), max_length=20, required=False)
    email = forms.CharField(
        label=_capfirst_label(Customer, "email"), max_length=254, required=False
    )
    wechat_openid = forms.CharField(
        label=_capfirst_label(Customer, "wechat_openid"),
        max_length=64,
        required=False,
        help_text=_("For WeChat template messages (from the Official Account)."),
    )
    tags = forms.CharField(
        label=_capfirst_label(Customer, "tags"),
        max_length=500,
        required=False,
        help_text=_("Separate tags with commas."),
    )
    project_id = forms.TypedChoiceField(
        label=_("Project"), coerce=int, required=False, empty_value=None
    )
    notes = forms.CharField(
        label=_capfirst_label(Customer, "notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    # Personal fields a masked viewer may overwrite but never sees.
    PRIVATE_FIELDS = ("id_number", "phone", "email", "wechat_openid", "notes")

    def __init__(
        self,
        *args: Any,
        projects: list[tuple[int, str]],
        masked: bool = False,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.masked = masked and editing
        self.fields["project_id"].choices = [("", "—"), *projects]  # type: ignore[attr-defined]
        if self.masked:
            for name in self.PRIVATE_FIELDS:
                field = self.fields[name]
                field.required = False
                field.help_text = _("Hidden for your role. Leave blank to keep the current value.")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.masked:
            for name in self.PRIVATE_FIELDS:
                if not data.get(name):
                    data.pop(name, None)
        return data


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_capfirst_label(Customer, "kind"),
        required=False,
        choices=[("", _("All")), *CustomerKind.choices],
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)


# Leases -----------------------------------------------------------------------------------------


class LeaseTermsForm(ServiceForm):
    """The terms of a lease, shared by the create and edit forms."""

    start_date = forms.DateField(label=_capfirst_label(Lease, "start_date"), widget=DateInput())
    end_date = forms.DateField(label=_capfirst_label(Lease, "end_date"), widget=DateInput())
    monthly_rent = forms.DecimalField(
        label=_capfirst_label(Lease, "monthly_rent"), max_digits=12, decimal_places=2, min_value=0
    )
    deposit_months = forms.IntegerField(
        label=_capfirst_label(Lease, "deposit_months"), min_value=0, max_value=12, initial=1
    )
    pay_months = forms.TypedChoiceField(
        label=_capfirst_label(Lease, "pay_months"), choices=PAY_MONTH_CHOICES, coerce=int, initial=1
    )
    deposit = forms.DecimalField(
        label=_capfirst_label(Lease, "deposit"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Leave blank to use monthly rent × deposit months."),
    )
    due_day_rule = forms.ChoiceField(
        label=_capfirst_label(Lease, "due_day_rule"), choices=DueDayRule.choices
    )
    due_day_value = forms.IntegerField(
        label=_capfirst_label(Lease, "due_day_value"),
        min_value=0,
        max_value=31,
        initial=0,
        required=False,
        help_text=_("Days before the period, or the day of the month."),
    )
    rent_free_periods = forms.CharField(
        label=_capfirst_label(Lease, "rent_free_periods"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2026-01-01 ~ 2026-01-15"}),
        help_text=_("One period per line: start ~ end (YYYY-MM-DD)."),
    )
    escalation_pct = forms.DecimalField(
        label=_capfirst_label(Lease, "escalation_pct"),
        max_digits=5,
        decimal_places=2,
        required=False,
    )
    escalation_every_months = forms.IntegerField(
        label=_capfirst_label(Lease, "escalation_every_months"),
        min_value=1,
        max_value=120,
        required=False,
    )
    late_fee_daily_rate = forms.DecimalField(
        label=_capfirst_label(Lease, "late_fee_daily_rate"),
        max_digits=6,
        decimal_places=5,
        min_value=0,
        required=False,
        help_text=_("For example 0.0005 for 0.05% a day."),
    )
    late_fee_grace_days = forms.IntegerField(
        label=_capfirst_label(Lease, "late_fee_grace_days"),
        min_value=0,
        max_value=90,
        required=False,
        initial=0,
    )
    allows_access_freeze = forms.BooleanField(
        label=_capfirst_label(Lease, "allows_access_freeze"), required=False
    )
    notes = forms.CharField(
        label=_capfirst_label(Lease, "notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    TERM_FIELDS = (
        "start_date",
        "end_date",
        "monthly_rent",
        "deposit_months",
        "pay_months",
        "deposit",
        "due_day_rule",
        "due_day_value",
        "rent_free_periods",
        "escalation_pct",
        "escalation_every_months",
        "late_fee_daily_rate",
        "late_fee_grace_days",
        "allows_access_freeze",
        "notes",
    )

    def clean_rent_free_periods(self) -> list[dict[str, str]]:
        raw = self.cleaned_data.get("rent_free_periods") or ""
        periods = []
        for line in raw.splitlines():
            line = line.strip()
            if not line:
                continue
            parts = [p.strip() for p in line.replace("～", "~").split("~")]
            if len(parts) != 2 or not all(parts):
                raise forms.ValidationError(
                    _("Write each period as start ~ end, for example 2026-01-01 ~ 2026-01-15.")
                )
            periods.append({"start": parts[0], "end": parts[1]})
        return periods

    def terms_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.TERM_FIELDS}

    @staticmethod
    def periods_text(periods: list[dict[str, str]]) -> str:
        return "\n".join(f"{p['start']} ~ {p['end']}" for p in periods)


class LeaseCreateForm(LeaseTermsForm):
    building = forms.TypedChoiceField(label=_("Building"), coerce=int)
    unit_code = forms.CharField(label=_("Unit code"), max_length=40)
    customer_id = forms.IntegerField(
        label=_("Customer"),
        widget=forms.Select,
        help_text=_("Type in the search box to find other customers."),
    )
    code = forms.CharField(
        label=_capfirst_label(Lease, "code"),
        max_length=40,
        required=False,
        help_text=_("Leave blank to number the lease automatically."),
    )

    field_map = {"unit_id": "unit_code"}
    field_order = ["building", "unit_code", "customer_id", "code"]

    def __init__(
        self,
        *args: Any,
        buildings: list[tuple[int, str]],
        customers: list[tuple[int, str]],
        units: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = units
        self.unit_id: int | None = None
        self.fields["building"].choices = [("", "—"), *buildings]  # type: ignore[attr-defined]
        self.fields["customer_id"].widget.choices = [("", "—"), *customers]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        building = cleaned.get("building")
        code = (cleaned.get("unit_code") or "").strip()
        if building and code:
            unit_id = (
                self.units.filter(building_id=building, code=code)
                .values_list("id", flat=True)
                .first()
            )
            if unit_id is None:
                self.add_error("unit_code", _("There is no unit with this code in the building."))
            else:
                self.unit_id = unit_id
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = self.terms_data()
        data["unit_id"] = self.unit_id
        data["customer_id"] = self.cleaned_data["customer_id"]
        data["code"] = self.cleaned_data.get("code") or ""
        return data


class LeaseEditForm(LeaseTermsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class TerminateForm(VersionForm):
    terminated_on = forms.DateField(
        label=_capfirst_label(Lease, "terminated_on"), widget=DateInput()
    )
    termination_reason = forms.CharField(
        label=_capfirst_label(Lease, "termination_reason"), max_length=300
    )


class VoidForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)

    field_map = {"termination_reason": "reason"}


class LeaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_capfirst_label(Lease, "status"),
        required=False,
        choices=[("", _("All")), *LeaseStatus.choices],
    )
    project = forms.TypedChoiceField(
        label=_("Project"), coerce=int, required=False, empty_value=None
    )
    building = forms.TypedChoiceField(
        label=_("Building"), coerce=int, required=False, empty_value=None
    )
    unit_code = forms.CharField(label=_("Unit code"), required=False, max_length=40)
    customer = forms.CharField(label=_("Customer"), required=False, max_length=200)
    start_from = forms.DateField(label=_("Starts on or after"), required=False, widget=DateInput())
    start_to = forms.DateField(label=_("Starts on or before"), required=False, widget=DateInput())
    end_from = forms.DateField(label=_("Ends on or after"), required=False, widget=DateInput())
    end_to = forms.DateField(label=_("Ends on or before"), required=False, widget=DateInput())

    def __init__(
        self,
        *args: Any,
        projects: list[tuple[int, str]],
        buildings: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", _("All")), *projects]  # type: ignore[attr-defined]
        self.fields["building"].choices = [("", _("All")), *buildings]  # type: ignore[attr-defined]
