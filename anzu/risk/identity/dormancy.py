"""Dormancy: accounts with no login (nor API token use) for ``ANZU_DORMANT_DAYS`` are frozen."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from anzu.common import clock
from anzu.risk.identity.choices import Source
from anzu.risk.identity.selectors import dormant_accounts
from anzu.risk.identity.services import account_freeze


def accounts_freeze_dormant(*, now: dt.datetime | None = None) -> list[int]:
    """Freeze every dormant account (each in its own transaction); returns their ids."""
    now = now or clock.now()
    days = settings.DORMANT_DAYS
    frozen: list[int] = []
    for user in dormant_accounts(now=now, days=days):
        reason = f"No login for {days} days (last activity {user.last_activity:%Y-%m-%d})"  # type: ignore[attr-defined]
        _state, changed = account_freeze(user=user, reason=reason, source=Source.DORMANT, by=None)
        if changed:
            frozen.append(user.pk)
    return frozen
