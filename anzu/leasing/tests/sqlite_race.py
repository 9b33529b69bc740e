"""Race N processes creating overlapping leases on one unit in a file-backed SQLite database.

Run as a script by test_concurrency_sqlite.py with DATABASE_URL pointing at a fresh file; prints
one JSON line with each process's outcome.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys


def _setup() -> dict[str, int]:
    from django.core.management import call_command

    from anzu.common.testing import CustomerFactory, OrganizationFactory, UnitFactory, make_user

    call_command("migrate", verbosity=0)
    org = OrganizationFactory()
    unit = UnitFactory(building__project__organization=org)
    customer = CustomerFactory(organization=org)
    user = make_user(org, "management", username="racer")
    checker = make_user(org, "admin", username="checker")
    return {"unit": unit.pk, "customer": customer.pk, "user": user.pk, "checker": checker.pk}


def _worker(
    ids: dict[str, int], index: int, barrier: mp.synchronize.Barrier, out: mp.Queue
) -> None:
    from django.db import connections

    connections.close_all()
    from anzu.common.errors import Conflict
    from anzu.core.models import User
    from anzu.leasing import services
    from anzu.leasing.models import Lease
    from anzu.risk.approvals import services as approvals

    user = User.objects.get(pk=ids["user"])
    checker = User.objects.get(pk=ids["checker"])
    data = {
        "unit_id": ids["unit"],
        "customer_id": ids["customer"],
        "start_date": f"2026-0{1 + index % 6}-01",
        "end_date": "2026-12-31",
        "monthly_rent": "3000",
    }
    try:
        # Each process asks for its lease (no lease exists yet, so every request is made),
        # then all approvals execute at once: exactly one lease may result.
        request = services.lease_create(by=user, data=data)
        barrier.wait()
        done = approvals.request_approve(request=request, by=checker)
        lease = Lease.objects.get(pk=done.result["object_id"])
        out.put({"index": index, "ok": True, "code": lease.code})
    except Conflict as exc:
        out.put({"index": index, "ok": False, "error": exc.as_dict()})
    except Exception as exc:  # reported, the test fails on it
        out.put(
            {
                "index": index,
                "ok": False,
                "error": {"code": type(exc).__name__, "message": str(exc)},
            }
        )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anzu.settings")
    import django

    django.setup()
    from django.db import connections

    n = int(sys.argv[1])
    ids = _setup()
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(n)
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(ids, i, barrier, out)) for i in range(n)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    print(json.dumps(sorted(results, key=lambda r: r["index"])))


if __name__ == "__main__":
    main()
