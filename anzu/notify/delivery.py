"""Delivery of outbox messages: claim, send, record the outcome, retry with back-off.

A message moves ``pending → sending → sent``; a failed try goes to ``failed`` (retried after an
exponential back-off with jitter) and, after the last allowed attempt or a permanent error, to
``dead``. A worker *claims* a row before sending by setting ``claimed_until`` and a fresh
``claim_token`` in one conditional UPDATE, so two workers never hold the same message. A worker
that dies keeps its claim only until ``claimed_until``; the sweeper then claims the row again.

Sending happens outside any database transaction. The outcome is written with a second
UPDATE that checks the claim token, so a worker whose claim was taken over cannot overwrite the
newer worker's result.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from anzu.common import clock
from anzu.common.db import is_postgres
from anzu.integrations.base import ProviderError, RetryableError
from anzu.notify.choices import AttemptOutcome, MessageStatus
from anzu.notify.config import NotifyConfig
from anzu.notify.models import DeliveryAttempt, OutboxMessage
from anzu.notify.providers import provider_for

log = logging.getLogger(__name__)

_OPEN = (MessageStatus.PENDING, MessageStatus.FAILED)


def config() -> NotifyConfig:
    return settings.NOTIFY  # type: ignore[no-any-return]


def backoff_seconds(attempts: int, cfg: NotifyConfig, rng: random.Random | None = None) -> float:
    """Delay before the next try after ``attempts`` tries: exponential, capped, half jittered."""
    exponent = min(max(attempts - 1, 0), 30)
    ceiling = min(cfg.backoff_base_seconds * (2**exponent), cfg.backoff_max_seconds)
    return ceiling / 2 + (rng or random).random() * ceiling / 2


def _claimable(now: dt.datetime, max_attempts: int) -> Q:
    open_and_due = Q(status__in=_OPEN, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )
    abandoned = Q(status=MessageStatus.SENDING, claimed_until__lte=now)
    return (open_and_due | abandoned) & Q(attempts__lt=max_attempts)


def _claim_values(now: dt.datetime, token: str, cfg: NotifyConfig) -> dict[str, object]:
    return {
        "status": MessageStatus.SENDING,
        "claimed_until": now + dt.timedelta(seconds=cfg.claim_seconds),
        "claim_token": token,
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }


def outbox_claim(*, message_id: int) -> str | None:
    """Claim one message if it is due and unclaimed; the claim token, or None."""
    cfg = config()
    now = clock.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        claimed = (
            OutboxMessage.objects.filter(pk=message_id)
            .filter(_claimable(now, cfg.max_attempts))
            .update(**_claim_values(now, token, cfg))
        )
    return token if claimed else None


def outbox_bury_exhausted() -> int:
    """Abandoned claims on the last allowed attempt become dead (the worker died sending)."""
    cfg = config()
    now = clock.now()
    return OutboxMessage.objects.filter(
        status=MessageStatus.SENDING, claimed_until__lte=now, attempts__gte=cfg.max_attempts
    ).update(
        status=MessageStatus.DEAD,
        claimed_until=None,
        claim_token="",
        last_error="The worker stopped during the last allowed attempt.",
        updated_at=now,
    )


def outbox_claim_due(*, limit: int | None = None) -> list[tuple[int, str]]:
    """Claim up to ``limit`` due messages (new, failed and abandoned ones) in one transaction.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent sweepers take disjoint batches.
    SQLite: the transaction is IMMEDIATE, so sweepers are serialized by the write lock.
    """
    cfg = config()
    limit = limit or cfg.sweep_batch
    token = uuid.uuid4().hex
    with transaction.atomic():
        outbox_bury_exhausted()
        now = clock.now()
        qs = OutboxMessage.objects.filter(_claimable(now, cfg.max_attempts)).order_by(
            "next_attempt_at", "id"
        )
        if is_postgres():
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("pk", flat=True)[:limit])
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(**_claim_values(now, token, cfg))
    return [(pk, token) for pk in ids]


@dataclass(frozen=True)
class Outcome:
    status: str
    outcome: str
    error: str = ""


def deliver_claimed(*, message_id: int, token: str) -> str:
    """Send a message this worker has claimed and record the outcome. Returns the new status.

    The row is re-read first: if the claim is gone (expired and taken over, or the message was
    finished meanwhile) nothing is sent.
    """
    cfg = config()
    started = clock.now()
    message = (
        OutboxMessage.objects.select_related("organization")
        .filter(
            pk=message_id,
            status=MessageStatus.SENDING,
            claim_token=token,
            claimed_until__gt=started,
        )
        .first()
    )
    if message is None:
        return "skipped"
    provider = provider_for(message.channel)
    provider_message_id = ""
    error: ProviderError | None = None
    try:
        provider_message_id = provider.send(message)
    except ProviderError as exc:
        error = exc
    except Exception as exc:  # a defect in an adapter must not lose the message
        log.exception("notify: provider %s crashed on message %s", provider.name, message.pk)
        error = RetryableError(f"{exc.__class__.__name__}: {exc}", code="crash")
    finished = clock.now()
    with transaction.atomic():
        if error is None:
            return _record_success(message, provider.name, provider_message_id, token, started)
        return _record_failure(message, provider.name, error, token, started, finished, cfg)


def _record_success(
    message: OutboxMessage,
    provider: str,
    provider_message_id: str,
    token: str,
    started: dt.datetime,
) -> str:
    now = clock.now()
    # The provider accepted the message: record it even if the claim was taken over meanwhile.
    mine = OutboxMessage.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claim_token=token
    ).exists()
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=MessageStatus.SENT).update(
        status=MessageStatus.SENT,
        sent_at=now,
        provider=provider,
        provider_message_id=provider_message_id[:128],
        claimed_until=None,
        claim_token="",
        last_error="",
        updated_at=now,
    )
    DeliveryAttempt.objects.create(
        message_id=message.pk,
        number=message.attempts,
        provider=provider,
        outcome=AttemptOutcome.SENT if mine else AttemptOutcome.CLAIM_LOST,
        provider_message_id=provider_message_id[:128],
        started_at=started,
        finished_at=now,
    )
    return MessageStatus.SENT


def _record_failure(
    message: OutboxMessage,
    provider: str,
    error: ProviderError,
    token: str,
    started: dt.datetime,
    finished: dt.datetime,
    cfg: NotifyConfig,
) -> str:
    text = str(error)[:2000]
    if error.retryable and message.attempts < cfg.max_attempts:
        status = MessageStatus.FAILED
        next_at = finished + dt.timedelta(seconds=backoff_seconds(message.attempts, cfg))
    else:
        status = MessageStatus.DEAD
        next_at = message.next_attempt_at
    OutboxMessage.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claim_token=token
    ).update(
        status=status,
        next_attempt_at=next_at,
        claimed_until=None,
        claim_token="",
        last_error=text,
        provider=provider,
        updated_at=finished,
    )
    DeliveryAttempt.objects.create(
        message_id=message.pk,
        number=message.attempts,
        provider=provider,
        outcome=AttemptOutcome.RETRYABLE if error.retryable else AttemptOutcome.PERMANENT,
        error=text,
        started_at=started,
        finished_at=finished,
    )
    if status == MessageStatus.DEAD:
        log.warning("notify: message %s is dead: %s", message.pk, text)
    return status


def outbox_deliver(*, message_id: int) -> str:
    """Claim and send one message now (the on-commit path)."""
    token = outbox_claim(message_id=message_id)
    if token is None:
        return "skipped"
    return deliver_claimed(message_id=message_id, token=token)
