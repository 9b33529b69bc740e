"""The contract template language: an HTML fragment with ``{placeholder}`` names.

Operators edit the wording, so the body is parsed, never evaluated: only the names of
:data:`PLACEHOLDERS` are allowed (checked by :func:`anzu.documents.notice_text.placeholders_in`:
an unknown name or an unbalanced brace is refused naming the field and the name), and only plain
formatting tags without URLs (:data:`ALLOWED_TAGS`, attribute ``class`` only) — the PDF renderer
fetches nothing on a template's behalf. Values are HTML-escaped when filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from html.parser import HTMLParser

from django.utils.translation import gettext_lazy as _

from anzu.common.errors import ValidationFailed
from anzu.documents.notice_text import placeholders_in

PLACEHOLDERS: dict[str, object] = {
    "agreement_number": _("Agreement number"),
    "lease_code": _("Lease number"),
    "sign_date": _("Date the agreement was generated"),
    "lessor_name": _("Lessor (the organization)"),
    "lessor_credit_code": _("Lessor's unified social credit code"),
    "lessor_address": _("Lessor's address"),
    "lessee_name": _("Lessee (customer) name"),
    "lessee_id_type": _("Lessee's ID type"),
    "lessee_id_number": _("Lessee's ID number"),
    "lessee_phone": _("Lessee's phone"),
    "premises_address": _("Address of the premises"),
    "project_name": _("Project"),
    "building_name": _("Building"),
    "unit_code": _("Unit"),
    "unit_area": _("Floor area in m²"),
    "unit_layout": _("Layout"),
    "use": _("Use of the premises"),
    "start_date": _("Start date"),
    "end_date": _("End date"),
    "term_text": _("Term, e.g. 12个月"),
    "monthly_rent": _("Monthly rent, e.g. ¥3,200.00"),
    "monthly_rent_upper": _("Monthly rent in capital numerals (大写)"),
    "payment_cycle": _("Payment cycle, e.g. 押1付3"),
    "deposit_months": _("Deposit in months (押N)"),
    "pay_months": _("Months paid each time (付M)"),
    "due_day_text": _("When each payment is due"),
    "rent_free_text": _("Rent-free periods"),
    "escalation_text": _("Rent escalation"),
    "deposit": _("Deposit amount"),
    "deposit_upper": _("Deposit in capital numerals (大写)"),
    "deposit_return_days": _("Days to return the deposit"),
    "property_fee_payer": _("Who pays the property fee"),
    "utilities_payer": _("Who pays water, electricity, gas"),
    "repair_response_hours": _("Repair response time in hours"),
    "late_fee_text": _("Late-payment fee rate"),
    "dispute_text": _("Where disputes go"),
}

ALLOWED_TAGS = frozenset(
    {
        "p", "div", "span", "section", "h1", "h2", "h3", "h4", "strong", "b", "em", "i", "u",
        "br", "ol", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = frozenset({"class"})


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.problem:
            return
        if tag not in ALLOWED_TAGS:
            self.problem = f"<{tag}>"
            return
        for name, _value in attrs:
            if name not in ALLOWED_ATTRIBUTES:
                self.problem = f'<{tag} {name}="…">'
                return

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.problem = self.problem or "<!-- -->"

    def handle_pi(self, data: str) -> None:
        self.problem = self.problem or f"<?{data}>"

    def handle_decl(self, decl: str) -> None:
        self.problem = self.problem or f"<!{decl}>"


def check_body(body: str, *, field: str = "body") -> list[str]:
    """Validate a template body; returns its placeholders. Errors name ``field``."""
    names = placeholders_in(body, field=field, allowed=frozenset(PLACEHOLDERS))
    checker = _TagChecker()
    checker.feed(body)
    checker.close()
    if checker.problem:
        raise ValidationFailed(
            "forbidden_markup",
            f"{checker.problem} is not allowed in a contract template; use plain formatting "
            f"tags ({', '.join(sorted(ALLOWED_TAGS))}) with at most a class attribute.",
            field=field,
            markup=checker.problem,
        )
    return names


def fill(body: str, values: Mapping[str, str], *, field: str = "body") -> str:
    """The body as HTML with every placeholder replaced by its escaped value."""
    names = check_body(body, field=field)
    return body.format_map({name: escape(values.get(name, "")) for name in names})
