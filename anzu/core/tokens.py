"""Personal access tokens (Bearer) for API clients. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import NotFound, ValidationFailed
from anzu.core import audit
from anzu.core.models import ApiToken, User

TOKEN_PREFIX = "anzu_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_create(
    *, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the raw token, which is shown once and never again."""
    name = v.text(name, field="name", max_length=100)
    expires_at = None
    if expires_in_days is not None:
        days = v.integer(expires_in_days, field="expires_in_days", minimum=1, maximum=3650)
        expires_at = clock.now() + dt.timedelta(days=days)
    if not user.is_active:
        raise ValidationFailed("inactive", "The account is not active.", field="user")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            token_hash=_hash(raw),
            expires_at=expires_at,
        )
        audit.record(
            action="api_token.create",
            obj=token,
            organization=user.organization_id,
            actor=user,
            changes={"name": [None, name]},
        )
    return token, raw


def token_revoke(*, user: User, token_id: int) -> ApiToken:
    with transaction.atomic():
        try:
            token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
        except ApiToken.DoesNotExist:
            raise NotFound("token") from None
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            audit.record(
                action="api_token.revoke",
                obj=token,
                organization=user.organization_id,
                actor=user,
                changes={"revoked_at": [None, token.revoked_at]},
            )
    return token


def token_authenticate(raw: str) -> User | None:
    """The active user owning a valid, unrevoked, unexpired token, else None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    try:
        token = ApiToken.objects.select_related("user").get(token_hash=_hash(raw))
    except ApiToken.DoesNotExist:
        return None
    now = clock.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
