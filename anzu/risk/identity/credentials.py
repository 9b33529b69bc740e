"""Traces of stale credentials: a frozen account's deleted session or revoked API token in use.

Authentication refuses such a request before any Anzu code runs, so without this it would leave
at most a login-risk row. Here it leaves an audit event ``signin.revoked_credential`` (actor: the
account; ``credential``: ``session`` or ``api_token``), at most one an hour per credential.

Only SHA-256 hashes are stored and compared; the session key or token is never written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from anzu.common import clock
from anzu.core import audit
from anzu.core.models import ApiToken, User
from anzu.risk.identity.choices import AccountStatus, CredentialKind
from anzu.risk.identity.models import AccountState, RevokedCredential

REPORT_EVERY = dt.timedelta(hours=1)
AUDIT_ACTION = "signin.revoked_credential"


def credential_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def sessions_revoked(*, user: Any, keys: Iterable[str], at: dt.datetime) -> int:
    """Remember the hashes of the session keys a freeze deleted (in the freeze's transaction)."""
    rows = [
        RevokedCredential(
            kind=CredentialKind.SESSION,
            key_hash=credential_hash(key),
            user_id=user.pk,
            revoked_at=at,
        )
        for key in sorted(set(keys))
        if key
    ]
    RevokedCredential.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _report(kind: str, key_hash: str, *, now: dt.datetime, extra: dict[str, Any]) -> bool:
    """Claim the hourly report of one credential (one conditional UPDATE) and, if claimed,
    record the audit event in the same transaction."""
    with transaction.atomic():
        claimed = (
            RevokedCredential.objects.filter(kind=kind, key_hash=key_hash)
            .filter(Q(reported_at__isnull=True) | Q(reported_at__lte=now - REPORT_EVERY))
            .update(reported_at=now)
        )
        if not claimed:
            return False
        row = RevokedCredential.objects.select_related("user").get(kind=kind, key_hash=key_hash)
        user: User = row.user
        audit.record(
            action=AUDIT_ACTION,
            obj=user,
            organization=user.organization_id,
            actor=user,
            changes={"credential": [None, kind], **extra},
        )
    return True


def revoked_session_presented(raw_key: str, *, user_id: Any = None) -> bool:
    """A session cookie that loads no session, or a session whose account is refused
    (``user_id``, as stored in it), was presented: if a freeze revoked it, record the event.
    Returns whether an event was recorded.

    A signed-cookie session cannot be deleted and its value changes as the session does, so it
    is recognised by its account instead: the account is frozen.
    """
    if not raw_key or len(raw_key) > 4096:
        return False
    key_hash, now = credential_hash(raw_key), clock.now()
    if _report(CredentialKind.SESSION, key_hash, now=now, extra={}):
        return True
    if user_id is None or not str(user_id).isdigit():
        return False
    if RevokedCredential.objects.filter(kind=CredentialKind.SESSION, key_hash=key_hash).exists():
        return False
    state = (
        AccountState.objects.filter(
            user_id=int(str(user_id)), user__is_active=False, status=AccountStatus.FROZEN
        )
        .only("user_id", "frozen_at")
        .first()
    )
    if state is None:
        return False
    RevokedCredential.objects.get_or_create(
        kind=CredentialKind.SESSION,
        key_hash=key_hash,
        defaults={"user_id": state.user_id, "revoked_at": state.frozen_at or now},
    )
    return _report(CredentialKind.SESSION, key_hash, now=now, extra={})


def revoked_token_presented(raw: str) -> bool:
    """An API token that authentication refused: if it is a revoked token of a frozen account,
    record the event. Returns whether an event was recorded."""
    if not raw or len(raw) > 200:
        return False
    token_hash = credential_hash(raw)
    token = (
        ApiToken.objects.filter(
            token_hash=token_hash,
            revoked_at__isnull=False,
            user__is_active=False,
            user__account_state__status=AccountStatus.FROZEN,
        )
        .only("pk", "user_id", "revoked_at")
        .first()
    )
    if token is None:
        return False
    now = clock.now()
    RevokedCredential.objects.get_or_create(
        kind=CredentialKind.API_TOKEN,
        key_hash=token_hash,
        defaults={"user_id": token.user_id, "revoked_at": token.revoked_at or now},
    )
    return _report(
        CredentialKind.API_TOKEN, token_hash, now=now, extra={"token_id": [None, token.pk]}
    )


def prune_revoked_sessions(*, older_than: dt.datetime) -> int:
    """Forget session hashes revoked before ``older_than`` (their cookies have expired)."""
    deleted, _detail = RevokedCredential.objects.filter(
        kind=CredentialKind.SESSION, revoked_at__lt=older_than
    ).delete()
    return deleted
