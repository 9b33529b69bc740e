"""Money is ``Decimal`` CNY with two decimal places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from anzu.common.errors import ValidationFailed

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")


def to_money(value: object, *, field: str, allow_zero: bool = True) -> Decimal:
    """Parse a user-supplied amount; reject floats' surprises, negatives and garbage.

    Raises :class:`ValidationFailed` naming ``field``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationFailed("required", "This field is required.", field=field)
    if isinstance(value, bool):
        raise ValidationFailed("invalid", "Enter a number.", field=field)
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        else:
            amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("invalid", "Enter a number.", field=field) from None
    if not amount.is_finite():
        raise ValidationFailed("invalid", "Enter a number.", field=field)
    if amount < 0:
        raise ValidationFailed("negative", "Must not be negative.", field=field)
    if not allow_zero and amount == 0:
        raise ValidationFailed("zero", "Must be greater than zero.", field=field)
    if amount > MAX_AMOUNT:
        raise ValidationFailed("too_large", "Amount is too large.", field=field)
    if amount != amount.quantize(CENT):
        raise ValidationFailed("precision", "At most two decimal places.", field=field)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"¥{amount:,.2f}"
