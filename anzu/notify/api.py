"""REST endpoints of the notify app: the outbox (staff) and the in-app inbox (everyone).

Mounted by ``anzu/api.py``; paths are ``/outbox…`` and ``/inbox…`` under ``/api/v1``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.core import access
from anzu.notify import access as notify_access
from anzu.notify import services
from anzu.notify.presenters import present_attempt, present_inbox, present_outbox
from anzu.notify.schemas import (
    InboxFilters,
    InboxOut,
    OutboxDetailOut,
    OutboxFilters,
    OutboxOut,
)

router = Router(tags=["notify"])


def _detail(user: Any, message_id: int) -> dict[str, Any]:
    message = notify_access.outbox_message_for_user(user, message_id)
    data = present_outbox(user, message)
    data["deliveries"] = [present_attempt(a) for a in message.deliveries.order_by("id")]
    return data


@router.get("/outbox", response={200: PageOut[OutboxOut], **ERRORS})
def outbox_list(
    request: HttpRequest, filters: Query[OutboxFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    access.require(user, "notify.view")
    qs = notify_access.outbox_for_user(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    return page_of(
        qs.order_by("-created_at", "-id"), params=paging, present=lambda m: present_outbox(user, m)
    )


@router.get("/outbox/{int:message_id}", response={200: OutboxDetailOut, **ERRORS})
def outbox_detail(request: HttpRequest, message_id: int) -> Any:
    return _detail(caller(request), message_id)


@router.post("/outbox/{int:message_id}/retry", response={200: OutboxDetailOut, **ERRORS})
def outbox_retry(request: HttpRequest, message_id: int) -> Any:
    user = caller(request)
    message = notify_access.outbox_message_for_user(user, message_id)
    services.outbox_retry(message=message, by=user)
    return _detail(user, message_id)


@router.get("/inbox", response={200: PageOut[InboxOut], **ERRORS})
def inbox_list(
    request: HttpRequest, filters: Query[InboxFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = notify_access.inbox_for_user(user)
    if filters.unread is not None:
        qs = qs.filter(read_at__isnull=filters.unread)
    return page_of(qs.order_by("-created_at", "-id"), params=paging, present=present_inbox)


@router.post("/inbox/{int:message_id}/read", response={200: InboxOut, **ERRORS})
def inbox_read(request: HttpRequest, message_id: int) -> Any:
    user = caller(request)
    message = notify_access.inbox_message_for_user(user, message_id)
    return present_inbox(services.inbox_mark_read(message=message))
