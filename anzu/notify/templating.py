"""Message text with ``{placeholder}`` fields from a fixed catalog.

Templates are data that operators edit, so they are parsed, never evaluated: only bare names
from :data:`PLACEHOLDERS` are allowed (no attribute or index access, no conversions), and an
unknown name is refused when the template is saved, naming it. A literal brace is written twice
(``{{`` / ``}}``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import string
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from anzu.common.errors import ValidationFailed

# The catalog of placeholders a template may use, with what they mean.
PLACEHOLDERS: dict[str, Any] = {
    "customer_name": _("Customer name"),
    "organization": _("Operator name"),
    "project": _("Project"),
    "unit": _("Unit"),
    "lease_code": _("Lease number"),
    "bill_code": _("Bill number"),
    "period": _("Billing period"),
    "amount": _("Amount due"),
    "due_date": _("Due date"),
    "deadline": _("Payment deadline"),
    "days_overdue": _("Days overdue"),
    "account": _("Account to pay into"),
    "consequences": _("Consequences of not paying"),
    "ticket_code": _("Work order number"),
    "link": _("Link"),
    "notice_date": _("Notice date"),
}

_FORMATTER = string.Formatter()


def placeholders_in(text: str, *, field: str) -> list[str]:
    """The placeholders of ``text`` in order of first appearance; refuses unknown ones."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        raise ValidationFailed(
            "invalid_template",
            "Unbalanced braces: write placeholders as {name} and a literal brace as {{ or }}.",
            field=field,
        ) from None
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name == "" or not name.isidentifier():
            raise ValidationFailed(
                "unknown_placeholder",
                f"Unknown placeholder {{{name}}}. Allowed: {', '.join(sorted(PLACEHOLDERS))}.",
                field=field,
                placeholder=name,
            )
        if spec or conversion:
            raise ValidationFailed(
                "invalid_template",
                f"Placeholder {{{name}}} may not carry a format or conversion.",
                field=field,
                placeholder=name,
            )
        if name not in PLACEHOLDERS:
            raise ValidationFailed(
                "unknown_placeholder",
                f"Unknown placeholder {{{name}}}. Allowed: {', '.join(sorted(PLACEHOLDERS))}.",
                field=field,
                placeholder=name,
            )
        if name not in names:
            names.append(name)
    return names


def as_text(value: Any) -> str:
    """A payload value as message text (Decimal kept exact, dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def jsonable_payload(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """The payload as stored: keys are strings, values JSON scalars (Decimal → text)."""
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise ValidationFailed("invalid", "The payload must be an object.", field="payload")
    data: dict[str, Any] = {}
    for key, value in payload.items():
        if not isinstance(key, str):
            raise ValidationFailed("invalid", "Payload keys must be text.", field="payload")
        if isinstance(value, decimal.Decimal | dt.date | dt.datetime):
            data[key] = as_text(value)
        elif value is None or isinstance(value, str | int | float | bool):
            data[key] = value
        else:
            raise ValidationFailed(
                "invalid", f"Payload value {key!r} must be text or a number.", field="payload"
            )
    return data


def render(text: str, payload: Mapping[str, Any], *, field: str) -> str:
    """Fill ``text``'s placeholders from ``payload``; a missing value is refused, naming it."""
    names = placeholders_in(text, field=field)
    missing = [name for name in names if name not in payload]
    if missing:
        raise ValidationFailed(
            "missing_placeholder_value",
            f"The payload has no value for placeholder {{{missing[0]}}}.",
            field="payload",
            placeholder=missing[0],
        )
    return text.format_map({name: as_text(payload[name]) for name in names})


def parse_provider_params(value: Any, *, field: str = "provider_params") -> list[list[str]]:
    """``[[provider name, placeholder], ...]`` from a list of pairs or ``name=placeholder`` lines.

    A line holding only a placeholder uses the placeholder's own name at the provider.
    """
    pairs: Iterable[Any]
    if value is None or value == "":
        return []
    if isinstance(value, str):
        pairs = [line.strip() for line in value.splitlines() if line.strip()]
    elif isinstance(value, list):
        pairs = value
    else:
        raise ValidationFailed("invalid", "Give one name=placeholder per line.", field=field)
    result: list[list[str]] = []
    seen: set[str] = set()
    for item in pairs:
        if isinstance(item, str):
            key, sep, placeholder = item.partition("=")
            key, placeholder = key.strip(), (placeholder.strip() if sep else key.strip())
        elif (
            isinstance(item, list | tuple)
            and len(item) == 2
            and all(isinstance(x, str) for x in item)
        ):
            key, placeholder = item[0].strip(), item[1].strip()
        else:
            raise ValidationFailed("invalid", "Give one name=placeholder per line.", field=field)
        placeholder = placeholder.strip("{}")
        if not key or len(key) > 64:
            raise ValidationFailed(
                "invalid", "A provider parameter name has 1 to 64 characters.", field=field
            )
        if placeholder not in PLACEHOLDERS:
            raise ValidationFailed(
                "unknown_placeholder",
                f"Unknown placeholder {{{placeholder}}}. "
                f"Allowed: {', '.join(sorted(PLACEHOLDERS))}.",
                field=field,
                placeholder=placeholder,
            )
        if key in seen:
            raise ValidationFailed(
                "duplicate", f"Provider parameter {key!r} is given twice.", field=field
            )
        seen.add(key)
        result.append([key, placeholder])
    return result


def provider_values(
    params: list[list[str]], body: str, payload: Mapping[str, Any]
) -> list[list[str]]:
    """Rendered ``[[provider name, value], ...]``; defaults to the body's placeholders in order."""
    mapping = params or [[name, name] for name in placeholders_in(body, field="body")]
    values = []
    for key, placeholder in mapping:
        if placeholder not in payload:
            raise ValidationFailed(
                "missing_placeholder_value",
                f"The payload has no value for placeholder {{{placeholder}}}.",
                field="payload",
                placeholder=placeholder,
            )
        values.append([key, as_text(payload[placeholder])])
    return values
