"""The sandbox provider: records what would have been sent, sends nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.db import transaction
from django.db.models import F

from anzu.common import clock
from anzu.notify.models import SandboxMessage
from anzu.notify.providers.base import ChannelProvider

if TYPE_CHECKING:
    from anzu.notify.models import OutboxMessage


class SandboxProvider(ChannelProvider):
    """Keeps one :class:`SandboxMessage` per outbox message (visible at /notify/sandbox/).

    A repeated hand-over of the same message is counted, not stored twice — the way a provider
    honouring the idempotency key would behave.
    """

    name: ClassVar[str] = "sandbox"
    sandbox: ClassVar[bool] = True

    def send(self, message: OutboxMessage) -> str:
        with transaction.atomic():
            record, created = SandboxMessage.objects.get_or_create(
                outbox_message=message,
                defaults={
                    "organization_id": message.organization_id,
                    "channel": message.channel,
                    "address": message.address,
                    "subject": message.subject,
                    "body": message.body,
                    "provider_template_id": message.provider_template_id,
                    "provider_params": message.provider_params,
                    "provider_key": message.provider_key,
                    "created_at": clock.now(),
                },
            )
            if not created:
                SandboxMessage.objects.filter(pk=record.pk).update(handovers=F("handovers") + 1)
        return f"sandbox-{record.pk}"
