"""Benchmark: the verifiable audit log.

Builds N audit events (default 1,000,000) set-based, then times: sequencing them into the Merkle
log, signing a checkpoint, ``verify`` over the database, export, and offline verification of the
export (``--runs`` times each; the median is reported, with the process CPU seconds beside the
wall seconds, and the load average before and after, since wall time on a shared machine is
mostly waiting for a core). With ``--append`` it also measures audit appends inside business transactions (several
threads, each transaction writes a row and its audit event) against the same transactions
without the audit event, on the configured database.

Usage: DATABASE_URL=... python bench/audit_log.py [--events N] [--runs K] [--append SECONDS]
Prints one JSON object. Runs on a throwaway database (the test database machinery).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--append", type=float, default=0.0, help="seconds of append load")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1, help="repeat verify/export, report medians")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="anzu-bench-")
    os.environ.setdefault("ANZU_HOME", home)
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(home) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anzu.settings")
    import django

    django.setup()
    from django.db import connection, connections, transaction
    from django.test.utils import get_runner  # noqa: F401  (ensures test settings load)

    creation = connection.creation
    test_db = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    figures: dict[str, object] = {
        "database": connection.vendor,
        "events": args.events,
        "db": test_db,
        "load_before": round(os.getloadavg()[0], 1),
    }
    try:
        from anzu.common.testing import OrganizationFactory
        from anzu.core import audit
        from anzu.core.models import Counter
        from anzu.risk import auditlog
        from anzu.risk.export import export, verify_dir

        org = OrganizationFactory()
        now = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        if connection.vendor == "postgresql":
            # Set-based: the same rows as below, built by the database.
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO core_auditevent (organization_id, actor_label, action, "
                    "object_type, object_id, object_repr, changes, request_id, ip, user_agent, "
                    "created_at) SELECT %s, 'bench', 'lease.update', 'leasing.lease', "
                    "(i %% 50000)::text, 'L2026-' || lpad((i %% 50000)::text, 6, '0'), "
                    "jsonb_build_object('monthly_rent', jsonb_build_array('3200.00', '3300.00'), "
                    "'version', jsonb_build_array(i, i + 1)), lpad(to_hex(i), 32, '0'), "
                    "'10.0.0.1', 'bench', %s FROM generate_series(0, %s - 1) AS i",
                    [org.pk, now, args.events],
                )
            with connection.cursor() as cur:
                cur.execute("ANALYZE core_auditevent")
        else:
            build_with_orm(org.pk, now, args.events)
        figures["build_s"] = round(time.perf_counter() - t0, 2)

        t0 = time.perf_counter()
        auditlog.integrate(limit=50000)
        figures["integrate_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        auditlog.checkpoint(force=True)
        figures["checkpoint_s"] = round(time.perf_counter() - t0, 3)
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("ANALYZE risk_logentry")
        out = Path(home) / "export"
        runs: dict[str, list[float]] = {}

        def timed(name: str, fn: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            result = fn()
            runs.setdefault(f"{name}_s", []).append(time.perf_counter() - wall)
            runs.setdefault(f"{name}_cpu_s", []).append(time.process_time() - cpu)
            return result

        for _ in range(args.runs):
            report = timed("verify_db", auditlog.verify_database)
            figures["verify_db_ok"] = report.ok
            timed("export", lambda: export(out))
            offline = timed("verify_export", lambda: verify_dir(out))
            figures["verify_export_ok"] = offline.ok
        for name, values in runs.items():
            figures[name] = round(statistics.median(values), 2)
            if args.runs > 1:
                figures[f"{name}_runs"] = [round(v, 2) for v in values]
        figures["load_after_verify"] = round(os.getloadavg()[0], 1)

        if args.append > 0:

            def load(
                with_audit: bool, counts: list[int], stop: threading.Event, worker: int
            ) -> None:
                n = 0
                name = f"bench-{worker}-{with_audit}"
                while not stop.is_set():
                    with transaction.atomic():
                        Counter.objects.update_or_create(
                            organization_id=org.pk, name=name, defaults={"value": n}
                        )
                        if with_audit:
                            audit.record(
                                action="bench.write",
                                object_type="core.counter",
                                object_id=name,
                                organization=org.pk,
                                actor=None,
                                changes={"value": [n - 1, n]},
                            )
                    n += 1
                counts.append(n)
                connections.close_all()

            for with_audit in (False, True):
                counts: list[int] = []
                stop = threading.Event()
                threads = [
                    threading.Thread(target=load, args=(with_audit, counts, stop, w))
                    for w in range(args.threads)
                ]
                for t in threads:
                    t.start()
                time.sleep(args.append)
                stop.set()
                for t in threads:
                    t.join()
                key = "tx_per_s_with_audit" if with_audit else "tx_per_s_without_audit"
                figures[key] = round(sum(counts) / args.append)
            figures["audit_events_per_s"] = figures["tx_per_s_with_audit"]
            figures["append_cost_ratio"] = round(
                figures["tx_per_s_without_audit"] / max(1, figures["tx_per_s_with_audit"]),
                2,  # type: ignore[operator]
            )
        figures["load_after"] = round(os.getloadavg()[0], 1)
    finally:
        connections.close_all()
        creation.destroy_test_db(test_db, verbosity=0)
    print(json.dumps(figures))


def build_with_orm(org_id: int, now: dt.datetime, events: int) -> None:
    from django.db import transaction

    from anzu.core.models import AuditEvent

    batch = []
    with transaction.atomic():
        for i in range(events):
            batch.append(
                AuditEvent(
                    organization_id=org_id,
                    actor_label="bench",
                    action="lease.update",
                    object_type="leasing.lease",
                    object_id=str(i % 50000),
                    object_repr=f"L2026-{i % 50000:06d}",
                    changes={"monthly_rent": ["3200.00", "3300.00"], "version": [i, i + 1]},
                    request_id=f"{i:032x}",
                    ip="10.0.0.1",
                    user_agent="bench",
                    created_at=now,
                )
            )
            if len(batch) == 10000:
                AuditEvent.objects.bulk_create(batch)
                batch.clear()
        AuditEvent.objects.bulk_create(batch)


if __name__ == "__main__":
    sys.exit(main())
