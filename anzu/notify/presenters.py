"""How outbox and inbox rows are shown, identically in the API and the web UI."""

from __future__ import annotations

from typing import Any

from anzu.common.crypto import mask_phone
from anzu.core import access
from anzu.notify.choices import Channel
from anzu.notify.models import DeliveryAttempt, InboxMessage, OutboxMessage


def mask_address(channel: str, address: str) -> str:
    if not address:
        return ""
    if channel == Channel.SMS:
        return mask_phone(address)
    if channel == Channel.EMAIL:
        local, _at, domain = address.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    return address[:4] + "***" if len(address) > 4 else "***"


def shown_address(user: Any, message: OutboxMessage | Any) -> str:
    address = message.address or ""
    return address if access.sees_pii(user) else mask_address(message.channel, address)


def present_outbox(user: Any, message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "channel": message.channel,
        "status": message.status,
        "customer_id": message.customer_id,
        "user_id": message.user_id,
        "address": shown_address(user, message),
        "template_code": message.template_code,
        "subject": message.subject,
        "body": message.body,
        "idempotency_key": message.idempotency_key,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "claimed_until": message.claimed_until,
        "last_error": message.last_error,
        "provider": message.provider,
        "provider_message_id": message.provider_message_id,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
    }


def present_attempt(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "provider": attempt.provider,
        "outcome": attempt.outcome,
        "provider_message_id": attempt.provider_message_id,
        "error": attempt.error,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
    }


def present_inbox(message: InboxMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "subject": message.subject,
        "body": message.body,
        "created_at": message.created_at,
        "read_at": message.read_at,
    }
