"""Periodic billing work (Huey)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from anzu.billing.generation import HORIZON_DAYS, bills_generate
from anzu.common import clock


@db_periodic_task(crontab(hour="0", minute="30"))
def generate_bills() -> dict[str, Any]:
    """Daily: bill rent and deposits through today + the horizon, accrue late fees as of today.

    Idempotent: a retry or a second run the same day creates nothing.
    """
    today = clock.today()
    return bills_generate(through=today + dt.timedelta(days=HORIZON_DAYS), today=today)
