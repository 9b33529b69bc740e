from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from anzu.leasing.agreements import services
from anzu.leasing.agreements.models import LeaseAgreement


@db_task(retries=3, retry_delay=60)
def fetch_signed(agreement_id: int) -> int | None:
    """Fetch and archive the PDF signed by both parties (idempotent)."""
    agreement = LeaseAgreement.objects.filter(pk=agreement_id).first()
    if agreement is None or agreement.signed_document_id is not None:
        return None
    agreement = services.agreement_fetch_signed(agreement=agreement)
    return agreement.signed_document_id


@db_periodic_task(crontab(minute="17"))
def poll_open_agreements() -> int:
    """Hourly: ask the platform about flows out for signature for over an hour (missed
    notifications, expired flows)."""
    return services.agreements_poll(older_than_hours=1)
