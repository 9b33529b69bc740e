"""Twenty clients race to lease one unit over HTTP: exactly one lease results.

Creating a lease is guarded: twenty clients ask at once (twenty approval requests, 202), then a
checker approves all twenty at once. Real threads, real connections, one database transaction
per request, against PostgreSQL (where the unit row lock and the ``lease_no_overlap`` exclusion
constraint decide the race): one approval executes, nineteen find their request stale (409).
SQLite serializes every write transaction, so the race cannot happen there and the test is
skipped.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from django.conf import settings

from anzu.common.testing import lease_data, make_user
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


def _race(live_server: Any, raw: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def attempt(path: str, body: dict[str, Any]) -> None:
        with httpx.Client(
            base_url=live_server.url,
            headers={"Authorization": f"Bearer {raw}"},
            timeout=60,
        ) as client:
            barrier.wait()
            response = client.post(path, json=body)
        with lock:
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=attempt, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == len(calls)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_leases_one_wins(
    live_server: Any, portfolio: Any, manager: Any, org: Any
):
    _token, raw = token_create(user=manager, name="race")
    checker = make_user(org, "admin", username="race-checker")
    _token, checker_raw = token_create(user=checker, name="race")
    unit, customer = portfolio["u1"], portfolio["customer"]
    # Every term overlaps every other one (all contain 2026-06-01 .. 2026-06-30).
    asks = [
        (
            "/api/v1/leases",
            lease_data(
                unit,
                customer,
                start_date=f"2026-{1 + i % 5:02d}-01",
                end_date=f"2026-{7 + i % 6:02d}-30",
            ),
        )
        for i in range(CLIENTS)
    ]
    asked = _race(live_server, raw, asks)
    assert sorted(status for status, _body in asked) == [202] * CLIENTS
    assert not Lease.objects.filter(unit=unit).exists()

    approvals = [(f"/api/v1/approvals/{body['id']}/approve", {}) for _status, body in asked]
    results = _race(live_server, checker_raw, approvals)
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] + [409] * (CLIENTS - 1)
    winner = next(body for status, body in results if status == 200)
    assert winner["status"] == "executed"
    assert Lease.objects.filter(unit=unit).count() == 1
    stored = Lease.objects.get(unit=unit)
    assert (winner["result"]["object_id"], winner["result"]["code"]) == (stored.pk, stored.code)
    for status, body in results:
        if status != 409:
            continue
        assert body["code"] == "stale_request"
        # Either the unit's leases had already changed when the approval re-read the
        # precondition, or the service found the overlap under the unit lock.
        if "error" in body:
            assert body["error"]["code"] == "lease_overlap"
            assert body["error"]["conflicting_lease"]["id"] == stored.pk
        else:
            assert body["found"] != body["expected"]
