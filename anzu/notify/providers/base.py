"""The channel provider contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from anzu.integrations.base import Adapter

if TYPE_CHECKING:
    from anzu.notify.models import OutboxMessage


class ChannelProvider(Adapter):
    """Hands one outbox message to a provider.

    :meth:`send` returns the provider's message id, or raises
    :class:`~anzu.integrations.base.RetryableError` / :class:`~anzu.integrations.base.PermanentError`.
    It must pass ``message.provider_key`` where the provider accepts an idempotency or
    correlation key, and it must not write to the outbox row itself.
    """

    name: ClassVar[str] = "provider"

    def send(self, message: OutboxMessage) -> str:
        raise NotImplementedError
