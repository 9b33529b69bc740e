from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from anzu.leasing import services


@db_periodic_task(crontab(hour="0", minute="10"))
def expire_leases() -> int:
    """Daily: active leases past their end date become expired."""
    return services.leases_expire()
