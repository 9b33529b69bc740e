from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from anzu.risk.identity.dormancy import accounts_freeze_dormant
from anzu.risk.identity.hr import hr_apply_due
from anzu.risk.identity.sessions import prune_session_keys


@db_periodic_task(crontab(minute="*"))
@lock_task("anzu-identity-hr-due")
def apply_scheduled_offboarding() -> list[int]:
    """Every minute: apply HR offboarding freezes whose effective time has come."""
    return hr_apply_due()


@db_periodic_task(crontab(hour="2", minute="15"))
@lock_task("anzu-identity-dormancy")
def freeze_dormant_accounts() -> list[int]:
    """Daily: freeze accounts with no login for ANZU_DORMANT_DAYS days; forget dead session keys."""
    frozen = accounts_freeze_dormant()
    prune_session_keys()
    return frozen
