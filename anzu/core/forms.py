"""Form plumbing shared by the web UI.

Forms parse and type-check what the browser sends; business rules stay in the services. When a
service raises :class:`~anzu.common.errors.DomainError`, :meth:`ServiceForm.add_domain_error`
puts its localized message on the field the error names, so the user sees it next to the input
they have to fix, with everything they typed kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from anzu.common.errors import DomainError

# Fixed messages raised by services, listed here so they are extracted for translation.
SERVICE_MESSAGES = [
    gettext_noop("This field is required."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter text."),
    gettext_noop("Must not be negative."),
    gettext_noop("Must be greater than zero."),
    gettext_noop("Amount is too large."),
    gettext_noop("At most two decimal places."),
    gettext_noop("Enter a valid date (YYYY-MM-DD)."),
    gettext_noop("Enter a date (YYYY-MM-DD), not a time."),
    gettext_noop("Enter yes or no."),
    gettext_noop("Unknown unit."),
    gettext_noop("Unknown customer."),
    gettext_noop("Unknown project."),
    gettext_noop("The end date is before the start date."),
    gettext_noop("A lease term may not exceed 20 years (Civil Code art. 705)."),
    gettext_noop("A fixed due day must be between 1 and 28."),
    gettext_noop("Give both the escalation percentage and its interval, or neither."),
    gettext_noop("Rent-free periods must lie within the lease term."),
    gettext_noop("Rent-free periods overlap."),
    gettext_noop("Pay monthly (1), quarterly (3), half-yearly (6) or yearly (12)."),
    gettext_noop("The lease was changed by someone else; reload and try again."),
    gettext_noop("Only draft or pending leases can be edited."),
    gettext_noop("This lease number already exists."),
    gettext_noop("The termination date is before the lease starts."),
    gettext_noop("The termination date is after the lease ends."),
    gettext_noop("A company is identified by its unified social credit code."),
    gettext_noop("A person cannot use a unified social credit code."),
    gettext_noop("The ID number is too short."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("A customer with this ID number already exists."),
    gettext_noop("A tag has at most 40 characters."),
    gettext_noop("Tags must be a list of text."),
    gettext_noop("A resident ID has 17 digits followed by a digit or X."),
    gettext_noop("The birth date inside the ID number is not a valid date."),
    gettext_noop("The check digit of the ID number is wrong."),
    gettext_noop("A unified social credit code has 18 characters (digits and capital letters)."),
    gettext_noop("The check character of the unified social credit code is wrong."),
    gettext_noop("Enter an 11-digit mobile number or a landline such as 021-12345678."),
    gettext_noop("You do not have permission to do this."),
    gettext_noop("The account is not active."),
]


def localized_message(err: DomainError) -> str:
    """The error's message in the active language (English when no translation exists)."""
    from anzu.leasing.choices import LeaseStatus

    if err.code == "lease_overlap" and "conflicting_lease" in err.extra:
        other = err.extra["conflicting_lease"]
        return gettext(
            "The unit is already leased from %(start)s to %(end)s by lease %(code)s."
        ) % {"start": other["start_date"], "end": other["end_date"], "code": other["code"]}
    if err.code == "illegal_transition":
        labels = dict(LeaseStatus.choices)
        current = err.extra.get("current", "")
        target = err.extra.get("target", "")
        return gettext("Cannot change status from %(current)s to %(target)s.") % {
            "current": labels.get(current, current),
            "target": labels.get(target, target),
        }
    return gettext(str(err.message))


class ServiceForm(forms.Form):
    """A form whose cleaned data is handed to a service.

    ``field_map`` translates the service's field names to this form's field names where they
    differ. Errors naming a field the form does not show become non-field errors.
    """

    field_map: dict[str, str] = {}
    required_css_class = "required"
    error_css_class = "has-error"

    def add_domain_error(self, err: DomainError) -> None:
        name = self.field_map.get(err.field or "", err.field)
        message = localized_message(err)
        if name and name in self.fields:
            self.add_error(name, message)
        else:
            self.add_error(None, message)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TokenForm(ServiceForm):
    name = forms.CharField(label=_("Token name"), max_length=100)
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave blank for a token that does not expire."),
    )
