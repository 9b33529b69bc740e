"""The one write of the security overview: run the full audit-log verification on demand."""

from __future__ import annotations

from typing import Any

from anzu.common import clock
from anzu.core import access
from anzu.risk import auditlog
from anzu.risk.security.selectors import VERIFY_CACHE_KEY

# The latest result is kept for the dashboard for a week.
VERIFY_CACHE_SECONDS = 7 * 24 * 3600


def audit_verify_run(*, by: Any) -> dict[str, Any]:
    """Integrate pending events, sign a checkpoint when due, recompute every leaf and check
    every checkpoint; the result (with its time and who ran it) is shown on the dashboard."""
    from django.core.cache import cache

    access.require(by, "audit.view")
    auditlog.integrate()
    auditlog.checkpoint()
    report = auditlog.verify_database()
    result = {**report.as_dict(), "at": clock.now().isoformat(), "by": by.username}
    cache.set(VERIFY_CACHE_KEY, result, VERIFY_CACHE_SECONDS)
    return result
