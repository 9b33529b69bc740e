"""Forms of the notice pages. Placeholder rules live in the services; errors come back named."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from anzu.common.errors import DomainError
from anzu.core.forms import ServiceForm, localized_message
from anzu.documents.choices import NoticeKind, NoticeTemplateStatus
from anzu.documents.notice_text import PLACEHOLDERS

# Fixed messages raised by the documents services, listed so they are extracted for translation.
SERVICE_MESSAGES = [
    gettext_noop("Give the overdue bills the notice is about."),
    gettext_noop("Every bill must belong to the lease."),
    gettext_noop("None of the bills has anything outstanding."),
    gettext_noop("A void lease gets no notices."),
    gettext_noop("This lease has no overdue bills."),
    gettext_noop("Someone else saved this template at the same time; reload and try again."),
]


def notice_error_message(err: DomainError) -> str:
    """Localized text for the errors that carry a placeholder name or a template status."""
    name = err.extra.get("placeholder")
    if err.code == "unknown_placeholder" and name is not None:
        return gettext("Unknown placeholder {%(name)s}. Allowed: %(allowed)s.") % {
            "name": name,
            "allowed": ", ".join(sorted(PLACEHOLDERS)),
        }
    if err.code == "unbalanced_brace":
        return gettext(
            "Unbalanced brace near “%(fragment)s”: write placeholders as {name} and a literal "
            "brace as {{ or }}."
        ) % {"fragment": name or ""}
    if err.code == "invalid_template" and name is not None:
        return gettext("Placeholder {%(name)s} may not carry a format or conversion.") % {
            "name": name
        }
    if err.code == "illegal_transition" and err.extra.get("target") == "published":
        labels = dict(NoticeTemplateStatus.choices)
        current = str(err.extra.get("current", ""))
        return gettext("Only a draft can be published; this version is %(status)s.") % {
            "status": labels.get(current, current)
        }
    return localized_message(err)


class NoticeServiceForm(ServiceForm):
    def add_domain_error(self, err: DomainError) -> None:
        message = notice_error_message(err)
        name = self.field_map.get(err.field or "", err.field)
        if name and name in self.fields:
            self.add_error(name, message)
        else:
            self.add_error(None, message)


class NoticeTemplateForm(NoticeServiceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    deadline_days = forms.IntegerField(
        label=_("Days to pay"),
        min_value=1,
        max_value=90,
        help_text=_("{deadline} is the issue date plus this many days."),
    )
    body = forms.CharField(
        label=_("Body"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "class": "mono"}),
        help_text=_(
            "One paragraph per line. Write placeholders as {amount_due}; a line holding only "
            "{bills_table} becomes the table of bills; a literal brace is {{ or }}."
        ),
    )
    consequences = forms.CharField(
        label=_("Consequences"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The text of {consequences}: what happens if the customer does not pay."),
    )


class NoticeIssueForm(NoticeServiceForm):
    field_map = {"bills": "lease"}

    lease = forms.CharField(
        label=_("Lease number"),
        max_length=40,
        help_text=_("The notice covers all the lease's overdue open bills."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices)


class NoticeFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *NoticeKind.choices]
    )
