from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from anzu.core.models import Counter


def next_value(*, organization_id: int, name: str) -> int:
    """Atomically increment and return the counter; creates it at 1 on first use."""
    with transaction.atomic():
        updated = Counter.objects.filter(organization_id=organization_id, name=name).update(
            value=F("value") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    Counter.objects.create(organization_id=organization_id, name=name, value=1)
                    return 1
            except IntegrityError:
                Counter.objects.filter(organization_id=organization_id, name=name).update(
                    value=F("value") + 1
                )
        return int(
            Counter.objects.filter(organization_id=organization_id, name=name)
            .values_list("value", flat=True)
            .get()
        )
