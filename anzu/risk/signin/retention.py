"""Retention of login-risk rows: attempts older than ``ANZU_LOGIN_ATTEMPT_RETENTION_DAYS`` go.

The purge walks the old rows in primary-key batches (bounded memory, one ``DELETE`` per batch)
and keeps every attempt an audit event names (a denial, a step-up, a frozen account's password,
a sensitive-operation flag): the audit log is permanent, so the row it points to stays too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from anzu.common import clock
from anzu.core import audit
from anzu.core.models import AuditEvent
from anzu.risk.signin.models import LoginAttempt

BATCH_SIZE = 2000
ATTEMPT_TYPE = LoginAttempt._meta.label_lower


def retention_cutoff(*, now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    return (now or clock.now()) - dt.timedelta(days=days or settings.LOGIN_ATTEMPT_RETENTION_DAYS)


def _referenced(batch: Sequence[tuple[int, int | None]]) -> set[int]:
    """The attempts of ``batch`` (pk, organization) that an audit event names."""
    by_org: dict[int | None, list[str]] = defaultdict(list)
    for pk, org_id in batch:
        by_org[org_id].append(str(pk))
    kept: set[int] = set()
    for org_id, ids in by_org.items():
        events = AuditEvent.objects.filter(object_type=ATTEMPT_TYPE, object_id__in=ids)
        if org_id is None:
            events = events.filter(organization__isnull=True)
        else:
            events = events.filter(organization_id=org_id)
        kept.update(int(i) for i in events.values_list("object_id", flat=True))
    return kept


def login_attempts_purge(
    *, now: dt.datetime | None = None, days: int | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Delete login-risk rows older than the retention period; returns how many went.

    Idempotent: a second run finds nothing to delete. Each batch is its own transaction; one
    summary audit event records the purge when anything was deleted.
    """
    cutoff = retention_cutoff(now=now, days=days)
    deleted = 0
    last_pk = 0
    while True:
        batch = list(
            LoginAttempt.objects.filter(at__lt=cutoff, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "organization_id")[:batch_size]
        )
        if not batch:
            break
        last_pk = batch[-1][0]
        kept = _referenced(batch)
        doomed = [pk for pk, _org in batch if pk not in kept]
        if doomed:
            with transaction.atomic():
                count, _detail = LoginAttempt.objects.filter(pk__in=doomed).delete()
            deleted += count
    if deleted:
        with transaction.atomic():
            audit.record(
                action="signin.attempts_purge",
                object_type=ATTEMPT_TYPE,
                object_id="",
                organization=None,
                actor=None,
                changes={"deleted": [None, deleted], "older_than": [None, cutoff.isoformat()]},
            )
    return deleted
