from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from anzu.risk import auditlog


@db_periodic_task(crontab(minute="*"))
@lock_task("anzu-audit-log")
def integrate_audit_log() -> int:
    """Every minute: append finished audit events to the Merkle log; sign a checkpoint if due."""
    appended = auditlog.integrate()
    auditlog.checkpoint()
    return appended
