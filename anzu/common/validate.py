"""Small, strict validators used by services. Each raises ValidationFailed naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from anzu.common.errors import ValidationFailed


def text(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed("invalid", "Enter text.", field=field)
    cleaned = value.strip()
    if required and not cleaned:
        raise ValidationFailed("required", "This field is required.", field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed(
            "too_long", f"At most {max_length} characters (got {len(cleaned)}).", field=field
        )
    return cleaned


def choice(value: Any, *, field: str, choices: Any) -> str:
    allowed = [c for c, _label in choices]
    if value not in allowed:
        raise ValidationFailed(
            "invalid_choice", f"Choose one of: {', '.join(allowed)}.", field=field
        )
    return str(value)


def integer(
    value: Any, *, field: str, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationFailed(
            "required" if value in (None, "") else "invalid", "Enter a whole number.", field=field
        )
    try:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        number = int(str(value).strip()) if not isinstance(value, float) else int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("invalid", "Enter a whole number.", field=field) from None
    if minimum is not None and number < minimum:
        raise ValidationFailed("too_small", f"Must be at least {minimum}.", field=field)
    if maximum is not None and number > maximum:
        raise ValidationFailed("too_large", f"Must be at most {maximum}.", field=field)
    return number


def decimal(
    value: Any,
    *,
    field: str,
    places: int,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    required: bool = True,
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed("required", "This field is required.", field=field)
        return None
    if isinstance(value, bool):
        raise ValidationFailed("invalid", "Enter a number.", field=field)
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed("invalid", "Enter a number.", field=field) from None
    if not number.is_finite():
        raise ValidationFailed("invalid", "Enter a number.", field=field)
    if minimum is not None and number < minimum:
        raise ValidationFailed("too_small", f"Must be at least {minimum}.", field=field)
    if maximum is not None and number > maximum:
        raise ValidationFailed("too_large", f"Must be at most {maximum}.", field=field)
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        raise ValidationFailed("precision", f"At most {places} decimal places.", field=field)
    return number.quantize(quantum)


def date(value: Any, *, field: str, required: bool = True) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise ValidationFailed("required", "This field is required.", field=field)
        return None
    if isinstance(value, dt.datetime):
        raise ValidationFailed("invalid", "Enter a date (YYYY-MM-DD), not a time.", field=field)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationFailed("invalid", "Enter a valid date (YYYY-MM-DD).", field=field)


Validator = Any  # Callable[[Any, str], Any]


def clean(data: dict[str, Any], spec: dict[str, Validator], *, partial: bool) -> dict[str, Any]:
    """Validate ``data`` against ``spec`` ({field: validator(value, field)}).

    Unknown fields are refused (naming them); with ``partial`` only the given fields are checked.
    """
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise ValidationFailed("unknown_field", f"Unknown field {unknown[0]!r}.", field=unknown[0])
    cleaned: dict[str, Any] = {}
    for name, validator in spec.items():
        if partial and name not in data:
            continue
        cleaned[name] = validator(data.get(name), name)
    return cleaned
