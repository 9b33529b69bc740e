"""Reads for the notify pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from anzu.common.pagination import Page, paginate
from anzu.core import access
from anzu.notify import access as notify_access
from anzu.notify.choices import MessageStatus
from anzu.notify.presenters import mask_address


def outbox_page(user: Any, *, status: str = "", channel: str = "", page: int = 1) -> Page:
    qs = notify_access.outbox_for_user(user)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    qs = qs.select_related("customer").defer(
        "customer__id_number", "customer__phone", "customer__notes"
    )
    return paginate(qs.order_by("-created_at", "-id"), page=page, page_size=50)


def outbox_counts(user: Any) -> list[dict[str, Any]]:
    """Messages per status, every status listed (zero included)."""
    counts = dict(
        notify_access.outbox_for_user(user)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in MessageStatus.choices
    ]


def sandbox_page(user: Any, *, channel: str = "", page: int = 1) -> Page:
    qs = notify_access.sandbox_for_user(user)
    if channel:
        qs = qs.filter(channel=channel)
    result = paginate(qs.order_by("-created_at", "-id"), page=page, page_size=50)
    pii = access.sees_pii(user)
    for row in result.items:
        row.shown_address = row.address if pii else mask_address(row.channel, row.address)
    return result
