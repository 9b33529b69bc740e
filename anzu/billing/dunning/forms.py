"""Forms of the dunning pages. They parse what the browser sends; rules stay in the services."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from anzu.billing.dunning.choices import ActionStatus, CallOutcome
from anzu.core.forms import DateInput, ServiceForm

STAGE_FIELD = "stages_json"

# Fixed messages raised by the dunning services, listed so they are extracted for translation.
SERVICE_MESSAGES = [
    gettext_noop("The promised date is in the past."),
    gettext_noop("The promise is already cancelled."),
    gettext_noop("The pause ends before it starts."),
    gettext_noop("The pause is already cancelled."),
    gettext_noop("Enter the promised amount."),
    gettext_noop("Enter the promised date."),
    gettext_noop("This call is already done or cancelled."),
    gettext_noop("This person cannot work the call queue."),
    gettext_noop("The lease does not allow an access or parking freeze."),
    gettext_noop("The bills are paid; the freeze no longer applies."),
    gettext_noop("Only an approved freeze can be lifted."),
    gettext_noop("Between 0 and 365 days."),
    gettext_noop("Another draft was created at the same time; try again."),
    gettext_noop("Only a draft can be published."),
    gettext_noop("Give a list of non-empty texts."),
    gettext_noop("Each action is an object with a kind."),
    gettext_noop("Name at least one channel."),
    gettext_noop("Name the message template."),
    gettext_noop("The call script is text."),
    gettext_noop(
        "A freeze may only be requested where the lease allows it: add the lease flag "
        "allows_access_freeze to this stage's conditions."
    ),
    gettext_noop("Conditions are an object."),
    gettext_noop("Give at least one stage."),
    gettext_noop("Each stage is an object."),
    gettext_noop("A code of 1–20 letters, digits or + - _ . (e.g. D+3)."),
    gettext_noop("Whole days from the due date (negative: before it)."),
    gettext_noop("true or false."),
    gettext_noop("A name of at most 100 characters."),
    gettext_noop("Give at least one action."),
    gettext_noop("The range ends before it starts."),
    gettext_noop("Back-test past dates only."),
]

# Policy errors whose English message carries values: a fixed translated message per code.
POLICY_MESSAGES = {
    ("contradictory_policy", "offset_days"): gettext_noop(
        "This offset is before the previous stage's: list stages in the order they happen."
    ),
    ("contradictory_policy", "tags_exclude"): gettext_noop(
        "A tag is both required and excluded; the stage could never apply."
    ),
    ("duplicate", "code"): gettext_noop("This stage code is used twice."),
}


def policy_error_message(err: Any) -> str:
    from anzu.core.forms import localized_message

    last = (err.field or "").rsplit(".", 1)[-1]
    fixed = POLICY_MESSAGES.get((err.code, last))
    return gettext(fixed) if fixed else localized_message(err)


class BoardFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    project_id = forms.TypedChoiceField(
        label=_("Project"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        stages: list[tuple[str, str]],
        projects: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "—"), *stages]  # type: ignore[attr-defined]
        self.fields["project_id"].choices = [("", "—"), *projects]  # type: ignore[attr-defined]


class ActionFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from anzu.billing.dunning.presenters import ACTION_STATUS_LABELS

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((value, ACTION_STATUS_LABELS[value]) for value in ActionStatus.values),
        ]


class PolicyDraftForm(ServiceForm):
    """A draft's editable fields; the stages are JSON, checked by the service.

    The service names fields like ``stages[3].offset_days``; they are shown on the stages box
    with the path in front, so the user knows which stage to fix.
    """

    name = forms.CharField(label=_("Name"), max_length=100)
    exempt_tags = forms.CharField(
        label=_("Exempt customer tags"),
        max_length=500,
        required=False,
        help_text=_("Comma-separated; customers with any of these tags are never dunned."),
    )
    catch_up_days = forms.IntegerField(
        label=_("Catch-up window (days)"),
        min_value=0,
        max_value=365,
        help_text=_("How long after its last stage's date an unpaid bill is still evaluated."),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    stages_json = forms.CharField(
        label=_("Stages (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30, "class": "code", "spellcheck": "false"}),
    )

    def clean_stages_json(self) -> Any:
        raw = self.cleaned_data["stages_json"]
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s"), params={"error": str(exc)}
            ) from None

    def add_domain_error(self, err: Any) -> None:
        name = err.field or ""
        if name == "stages" or name.startswith("stages["):
            self.add_error(STAGE_FIELD, f"{name}: {policy_error_message(err)}")
            return
        super().add_domain_error(err)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        tags = [t.strip() for t in (data.get("exempt_tags") or "").replace("，", ",").split(",")]
        return {
            "name": data["name"],
            "stages": data["stages_json"],
            "exempt_tags": [t for t in tags if t],
            "catch_up_days": data["catch_up_days"],
            "notes": data.get("notes") or "",
        }


class BacktestForm(ServiceForm):
    field_map = {"from": "start", "to": "end"}

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput(), help_text=_("At most 92 days."))


class PromiseForm(ServiceForm):
    field_map = {"promise_amount": "amount"}

    amount = forms.CharField(label=_("Promised amount (¥)"), max_length=20)
    promised_date = forms.DateField(label=_("Promised date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PauseForm(ServiceForm):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("Until"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ExemptionForm(ServiceForm):
    exempt = forms.TypedChoiceField(
        label=_("Exemption"),
        choices=[("1", _("Exempt from dunning")), ("0", _("Not exempt"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Required when exempting."),
    )


class CallOutcomeForm(ServiceForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    promise_amount = forms.CharField(label=_("Promised amount (¥)"), max_length=20, required=False)
    promised_date = forms.DateField(label=_("Promised date"), required=False, widget=DateInput())


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
