"""Shared helpers of the notify tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import transaction

from anzu.notify import services
from anzu.notify.models import OutboxMessage


def configure(settings: Any, **changes: Any) -> None:
    settings.NOTIFY = dataclasses.replace(settings.NOTIFY, **changes)


def enqueue(org: Any, **kwargs: Any) -> OutboxMessage:
    """Enqueue inside a transaction of its own (the on-commit hook is the caller's business)."""
    kwargs.setdefault("channel", "sms")
    kwargs.setdefault("address", "13800000001")
    kwargs.setdefault("body", "您有一笔租金 {amount} 元将于 {due_date} 到期。")
    kwargs.setdefault("payload", {"amount": "3200.00", "due_date": "2026-12-05"})
    with transaction.atomic():
        return services.outbox_enqueue(organization_id=org.pk, **kwargs)
