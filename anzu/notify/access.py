"""Fetching outbox, sandbox, template and inbox rows for a user.

Staff with ``notify.view`` see their organization's outbox; a staff member restricted to some
projects or buildings sees the messages to customers they can see. Tenants see only their own
in-app messages. Anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.leasing.access import customers_for_user
from anzu.notify.models import InboxMessage, MessageTemplate, OutboxMessage, SandboxMessage


def outbox_for_user(user: Any) -> QuerySet[OutboxMessage]:
    if not access.can(user, "notify.view"):
        return OutboxMessage.objects.none()
    qs = OutboxMessage.objects.filter(organization_id=user.organization_id)
    if access.scope_of(user).everything:
        return qs
    return qs.filter(customer__in=customers_for_user(user).values("pk"))


def outbox_message_for_user(user: Any, pk: Any) -> OutboxMessage:
    try:
        return outbox_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, OutboxMessage.DoesNotExist):
        raise NotFound("message") from None


def sandbox_for_user(user: Any) -> QuerySet[SandboxMessage]:
    return SandboxMessage.objects.filter(outbox_message__in=outbox_for_user(user).values("pk"))


def sandbox_message_for_user(user: Any, pk: Any) -> SandboxMessage:
    try:
        return sandbox_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, SandboxMessage.DoesNotExist):
        raise NotFound("sandbox message") from None


def templates_for_user(user: Any) -> QuerySet[MessageTemplate]:
    if not access.can(user, "notify.view"):
        return MessageTemplate.objects.none()
    return MessageTemplate.objects.filter(organization_id=user.organization_id)


def template_for_user(user: Any, pk: Any) -> MessageTemplate:
    try:
        return templates_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, MessageTemplate.DoesNotExist):
        raise NotFound("template") from None


def inbox_for_user(user: Any) -> QuerySet[InboxMessage]:
    """The caller's own in-app messages (a tenant's: also those addressed to their customer)."""
    if access.is_tenant_user(user):
        return InboxMessage.objects.filter(organization_id=user.organization_id).filter(
            Q(customer_id=user.customer_id) | Q(user_id=user.pk)
        )
    if access.is_staff_user(user):
        return InboxMessage.objects.filter(organization_id=user.organization_id, user_id=user.pk)
    return InboxMessage.objects.none()


def inbox_message_for_user(user: Any, pk: Any) -> InboxMessage:
    try:
        return inbox_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, InboxMessage.DoesNotExist):
        raise NotFound("message") from None
