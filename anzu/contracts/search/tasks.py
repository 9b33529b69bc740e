from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from anzu.contracts.search import services


@db_periodic_task(crontab(hour="7", minute="30"))
@lock_task("contract-expiry-notices")
def expiry_notices() -> dict[str, int]:
    """Daily 07:30: notices for contracts ending in 90, 60, 30 and 7 days. Idempotent."""
    return services.expiry_notify_run()
