"""Template filters for the web UI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from anzu.common.money import fmt

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """``¥3,200.00``; empty for a hidden (None) amount."""
    if value is None or value == "":
        return ""
    return fmt(Decimal(value))


@register.filter
def is_current(item: Any, request: Any) -> bool:
    """Whether a navigation item belongs to the page being shown."""
    match = getattr(request, "resolver_match", None)
    return bool(match is not None and item.is_current(match.view_name))
