"""In-app delivery: the message lands in the recipient's inbox (tenant portal, staff UI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.db import transaction

from anzu.common import clock
from anzu.integrations.base import PermanentError
from anzu.notify.models import InboxMessage
from anzu.notify.providers.base import ChannelProvider

if TYPE_CHECKING:
    from anzu.notify.models import OutboxMessage


class InAppProvider(ChannelProvider):
    """Writes one :class:`InboxMessage` per outbox message (the one-to-one link deduplicates)."""

    name: ClassVar[str] = "in_app"

    def send(self, message: OutboxMessage) -> str:
        if message.customer_id is None and message.user_id is None:
            raise PermanentError(
                "An in-app message needs a customer or a user.", code="no_recipient"
            )
        with transaction.atomic():
            inbox, _created = InboxMessage.objects.get_or_create(
                outbox_message=message,
                defaults={
                    "organization_id": message.organization_id,
                    "customer_id": message.customer_id,
                    "user_id": message.user_id,
                    "subject": message.subject,
                    "body": message.body,
                    "created_at": clock.now(),
                },
            )
        return f"inbox-{inbox.pk}"
