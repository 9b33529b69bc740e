"""Finding and deleting an account's sessions, whatever ``SESSION_ENGINE`` is configured.

Login writes the new session key to :class:`UserSession` (``user_logged_in``). A freeze deletes
every remembered key through the configured engine's ``SessionStore`` and, for the database
engines, also scans the unexpired sessions for any that predate the remembered keys. Even a
session it cannot reach (signed-cookie sessions live in the browser) is refused: the account is
inactive, and Django's authentication backend does not load inactive users. The SHA-256 of every
deleted key is kept (:mod:`anzu.risk.identity.credentials`) until its cookie has expired.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY

from anzu.common import clock
from anzu.risk.identity.credentials import prune_revoked_sessions, sessions_revoked
from anzu.risk.identity.models import UserSession

_DB_ENGINES = frozenset(
    {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}
)


def _store_class() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def remember_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if not key or user is None or user.pk is None:
        return
    UserSession.objects.update_or_create(
        session_key=key, defaults={"user_id": user.pk, "created_at": clock.now()}
    )


def delete_sessions_of(user: Any) -> int:
    """Delete the user's sessions; returns how many keys were deleted."""
    store = _store_class()
    keys = set(UserSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True))
    if settings.SESSION_ENGINE in _DB_ENGINES:
        from django.contrib.sessions.models import Session

        unexpired = Session.objects.filter(expire_date__gt=clock.now())
        for session in unexpired.iterator(chunk_size=2000):
            if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
                keys.add(session.session_key)
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user_id=user.pk).delete()
    # Only the keys' hashes, so a later request with such a cookie leaves a trace.
    sessions_revoked(user=user, keys=keys, at=clock.now())
    return len(keys)


def prune_session_keys() -> int:
    """Forget remembered keys whose session is gone, and revoked-session hashes whose cookie has
    expired (daily); returns how many remembered keys were forgotten."""
    prune_revoked_sessions(
        older_than=clock.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    )
    if settings.SESSION_ENGINE in _DB_ENGINES:
        from django.contrib.sessions.models import Session

        live = Session.objects.filter(expire_date__gt=clock.now()).values("session_key")
        deleted, _detail = UserSession.objects.exclude(session_key__in=live).delete()
        return deleted
    if settings.SESSION_ENGINE.endswith("signed_cookies"):
        # The session lives in the browser; a key is useless once the cookie has expired.
        old = clock.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        deleted, _detail = UserSession.objects.filter(created_at__lt=old).delete()
        return deleted
    store = _store_class()
    gone = [
        pk
        for pk, key in UserSession.objects.values_list("pk", "session_key").iterator()
        if not store().exists(key)
    ]
    UserSession.objects.filter(pk__in=gone).delete()
    return len(gone)
