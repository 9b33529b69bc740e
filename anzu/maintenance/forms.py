"""Forms of the work-order pages. They parse what the browser sends; rules stay in the services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anzu.core.forms import ServiceForm
from anzu.maintenance.categories import DEFAULT_CATEGORIES
from anzu.maintenance.choices import RATING_TAGS, RootCause, TicketStatus, Urgency

CATEGORY_CHOICES = [
    (code, f"{dict((c, n) for c, n, _p, _s in DEFAULT_CATEGORIES)[parent]} · {name}")
    for code, name, parent, _skill in DEFAULT_CATEGORIES
    if parent
] + [("other", "其他")]
TENANT_URGENCIES = [(u.value, u.label) for u in (Urgency.LOW, Urgency.NORMAL, Urgency.URGENT)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to six photos; the service checks them (type, size, count)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


class IntakeForm(ServiceForm):
    """Phone intake by staff (电话报修)."""

    unit_id = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    category_code = forms.ChoiceField(label=_("Fault"), choices=CATEGORY_CHOICES)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial="normal")
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    reporter_name = forms.CharField(label=_("Caller name"), max_length=100, required=False)
    reporter_phone = forms.CharField(label=_("Caller phone"), max_length=30, required=False)
    photos = MultiplePhotoField(label=_("Photos"))

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit_id"].choices = [("", "—"), *units]  # type: ignore[attr-defined]


class TenantReportForm(ServiceForm):
    """A tenant's repair request (我要报修)."""

    unit_id = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    category_code = forms.ChoiceField(label=_("Fault"), choices=CATEGORY_CHOICES)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=TENANT_URGENCIES, initial="normal")
    description = forms.CharField(
        label=_("What is wrong?"), widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultiplePhotoField(label=_("Photos"))

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit_id"].choices = units  # type: ignore[attr-defined]


class NoteForm(ServiceForm):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
    photos = MultiplePhotoField(label=_("Completion photos"))


class DeclineForm(ServiceForm):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class OverrideForm(ServiceForm):
    field_map = {"engineer_id": "engineer_id"}
    engineer_id = forms.TypedChoiceField(label=_("Engineer"), coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, engineers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["engineer_id"].choices = [("", "—"), *engineers]  # type: ignore[attr-defined]


class RatingForm(ServiceForm):
    score = forms.TypedChoiceField(
        label=_("Score"),
        coerce=int,
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    tags = forms.MultipleChoiceField(
        label=_("Tags"), choices=RATING_TAGS, required=False, widget=forms.CheckboxSelectMultiple
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewCloseForm(ServiceForm):
    root_cause = forms.ChoiceField(label=_("Root cause"), choices=[("", "—"), *RootCause.choices])
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].required = False


class EngineerProfileForm(ServiceForm):
    """An engineer's dispatch profile: skills, territory, weekly shifts, base, capacity."""

    skills = forms.MultipleChoiceField(
        label=_("Skills"), choices=[], widget=forms.CheckboxSelectMultiple
    )
    project_ids = forms.TypedMultipleChoiceField(
        label=_("Projects"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    building_ids = forms.TypedMultipleChoiceField(
        label=_("Buildings"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    shifts = forms.JSONField(
        label=_("Shifts"),
        required=False,
        help_text=_(
            'Weekday (0 = Monday) to hours, e.g. {"0": [["09:00", "18:00"]]}; empty = any time.'
        ),
    )
    base_lat = forms.FloatField(label=_("Base latitude"), required=False)
    base_lng = forms.FloatField(label=_("Base longitude"), required=False)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=50, initial=5)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        projects: list[tuple[int, str]],
        buildings: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        from anzu.maintenance.categories import SKILL_NAMES

        super().__init__(*args, **kwargs)
        self.fields["skills"].choices = list(SKILL_NAMES.items())  # type: ignore[attr-defined]
        self.fields["project_ids"].choices = projects  # type: ignore[attr-defined]
        self.fields["building_ids"].choices = buildings  # type: ignore[attr-defined]


PAUSE_STATE_CHOICES = [
    (s.value, s.label)
    for s in (
        TicketStatus.ACCEPTED,
        TicketStatus.DISPATCHING,
        TicketStatus.ENGINEER_ACCEPTED,
        TicketStatus.ON_SITE,
        TicketStatus.REOPENED,
    )
]


class SlaPolicyForm(ServiceForm):
    """The targets of one SLA policy (时效策略), its calendar and pause states; the service
    checks the ranges."""

    first_response_minutes = forms.IntegerField(label=_("First response (minutes)"))
    on_site_minutes = forms.IntegerField(label=_("On site (minutes)"))
    resolution_minutes = forms.IntegerField(label=_("Resolution (minutes)"))
    auto_verify_hours = forms.IntegerField(label=_("Auto-verify after (hours)"))
    reopen_days = forms.IntegerField(label=_("Reopen window (days)"), required=False)
    calendar_id = forms.TypedChoiceField(
        label=_("Business calendar"), coerce=int, required=False, empty_value=None
    )
    pause_states = forms.MultipleChoiceField(
        label=_("Pause in states"),
        choices=PAUSE_STATE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("While a work order is in one of these states its clocks do not count."),
    )

    def __init__(self, *args: Any, calendars: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar_id"].choices = calendars  # type: ignore[attr-defined]


POLICY_CATEGORY_CHOICES = [("", _("Any category"))] + [
    (code, f"{dict((c, n) for c, n, _p, _s in DEFAULT_CATEGORIES)[parent]} · {name}")
    if parent
    else (code, name)
    for code, name, parent, _skill in DEFAULT_CATEGORIES
]


class SlaPolicyCreateForm(SlaPolicyForm):
    """A new SLA policy: category × urgency, then the targets."""

    category = forms.ChoiceField(
        label=_("Category"), choices=POLICY_CATEGORY_CHOICES, required=False
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[("", _("Any")), *Urgency.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar_id"].required = True
        self.order_fields(["category", "urgency"])

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("reopen_days") is None:
            data.pop("reopen_days", None)
        return data


WEEKDAY_LABELS = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]


def _lines(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,，;；\r\n]+", value) if p.strip()]


class CalendarForm(ServiceForm):
    """A business calendar (工作日历): windows per weekday, holidays and 调休 workdays."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    always = forms.BooleanField(label=_("24×7"), required=False)
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One date per line, YYYY-MM-DD."),
    )
    workdays = forms.CharField(
        label=_("Adjusted workdays (调休)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Weekend dates that are working days, one per line, YYYY-MM-DD."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAY_LABELS):
            self.fields[f"windows_{day}"] = forms.CharField(
                label=label,
                required=False,
                help_text=_("Working hours, e.g. 09:00-12:00, 13:00-18:00; empty = closed."),
            )
        order = ["name"] + [f"windows_{d}" for d in range(7)] + ["holidays", "workdays", "always"]
        self.order_fields(order)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "windows": {d: _lines(data.get(f"windows_{d}") or "") for d in range(7)},
            "holidays": _lines(data.get("holidays") or ""),
            "workdays": _lines(data.get("workdays") or ""),
            "always": bool(data.get("always")),
            "name": data.get("name") or "",
        }

    @staticmethod
    def initial_for(
        windows: dict[str, Any], holidays: list[str], workdays: list[str]
    ) -> dict[str, Any]:
        initial: dict[str, Any] = {
            f"windows_{d}": ", ".join(f"{s}-{e}" for s, e in windows.get(str(d), []))
            for d in range(7)
        }
        initial["holidays"] = "\n".join(holidays)
        initial["workdays"] = "\n".join(workdays)
        return initial
