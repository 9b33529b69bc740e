"""Periodic work of login risk: the velocity check of sensitive operations over the audit log."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from anzu.risk.signin import services


@db_periodic_task(crontab(minute="*"))
def scan_sensitive_operations() -> int:
    """Every minute: flag users over a sensitive-operation velocity limit (idempotent: one flag
    per user, kind and window)."""
    return services.scan_sensitive_operations()
