from __future__ import annotations

from decimal import Decimal

from django import template

from anzu.common.money import fmt

register = template.Library()


@register.filter
def yuan(value: Decimal | None) -> str:
    """``¥1,234.50``; an em dash for a hidden (None) amount."""
    return "—" if value is None else fmt(value)
