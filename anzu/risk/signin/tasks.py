"""Periodic work of login risk: the velocity check of sensitive operations over the audit log
and the daily retention purge of old login-risk rows."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from anzu.risk.signin import services
from anzu.risk.signin.retention import login_attempts_purge


@db_periodic_task(crontab(minute="*"))
def scan_sensitive_operations() -> int:
    """Every minute: flag users over a sensitive-operation velocity limit (idempotent: one flag
    per user, kind and window)."""
    return services.scan_sensitive_operations()


@db_periodic_task(crontab(hour="3", minute="40"))
@lock_task("anzu-signin-retention")
def purge_old_login_attempts() -> int:
    """Daily: delete login-risk rows older than ANZU_LOGIN_ATTEMPT_RETENTION_DAYS (those an
    audit event names stay)."""
    return login_attempts_purge()
