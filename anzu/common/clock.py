"""The one clock of Anzu.

All code asks this module for "now" and "today" so tests can freeze time (time-machine) and so
business dates are always computed in the organization's time zone (default Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    """Current time, timezone-aware (UTC)."""
    return timezone.now()


def business_tz(tz_name: str | None = None) -> ZoneInfo:
    return ZoneInfo(tz_name or settings.TIME_ZONE)


def today(tz_name: str | None = None) -> dt.date:
    """Today's business date in the given (or default) time zone."""
    return now().astimezone(business_tz(tz_name)).date()


def local(value: dt.datetime, tz_name: str | None = None) -> dt.datetime:
    return value.astimezone(business_tz(tz_name))
