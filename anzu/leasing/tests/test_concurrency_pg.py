"""Twenty clients race to lease one unit over HTTP: exactly one wins, nineteen get a 409.

Real threads, real connections, one database transaction per request, against PostgreSQL (where
the unit row lock and the ``lease_no_overlap`` exclusion constraint decide the race). SQLite
serializes every write transaction, so the race cannot happen there and the test is skipped.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from django.conf import settings

from anzu.common.testing import lease_data
from anzu.core.tokens import token_create
from anzu.leasing.models import Lease

CLIENTS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgresql://...); SQLite serializes writers",
    ),
]


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_leases_one_wins(live_server: Any, portfolio: Any, manager: Any):
    _token, raw = token_create(user=manager, name="race")
    unit, customer = portfolio["u1"], portfolio["customer"]
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        # Every term overlaps every other one (all contain 2026-06-01 .. 2026-06-30).
        body = lease_data(
            unit,
            customer,
            start_date=f"2026-{1 + i % 5:02d}-01",
            end_date=f"2026-{7 + i % 6:02d}-30",
        )
        with httpx.Client(
            base_url=live_server.url,
            headers={"Authorization": f"Bearer {raw}"},
            timeout=60,
        ) as client:
            barrier.wait()
            response = client.post("/api/v1/leases", json=body)
        with lock:
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(results) == CLIENTS
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    winner = next(body for status, body in results if status == 201)
    assert Lease.objects.filter(unit=unit).count() == 1
    stored = Lease.objects.get(unit=unit)
    assert (winner["id"], winner["code"]) == (stored.pk, stored.code)
    for status, body in results:
        if status != 409:
            continue
        assert body["code"] == "lease_overlap"
        assert body["field"] == "start_date"
        assert body["conflicting_lease"]["id"] == stored.pk
        assert body["conflicting_lease"]["code"] == stored.code
        assert stored.code in body["message"]
