"""Demo work left to the worker of ``anzu serve``: the lease contracts (PDFs and signatures are
slow; the seed queues them so that seeding stays fast)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from huey.contrib.djhuey import db_task

from anzu.core.models import Organization


@db_task(retries=2, retry_delay=30)
def demo_agreements(organization_id: int, today: str, tenant_customer_id: int) -> int:
    """Generate, sign and send the demo's lease contracts (idempotent: an organization that
    already has agreements is left alone). Returns how many were made."""
    from anzu.demo import signing

    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        return 0
    with transaction.atomic():
        return signing.seed_agreements(
            org=org, today=dt.date.fromisoformat(today), tenant_customer_id=tenant_customer_id
        )["agreements"]
