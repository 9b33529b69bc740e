"""Benchmark: the verifiable audit log.

Builds N audit events (default 1,000,000) set-based, then times: sequencing them into the Merkle
log, signing a checkpoint, ``verify`` over the database, export, and offline verification of the
export. With ``--append`` it also measures audit appends inside business transactions (several
threads, each transaction writes a row and its audit event) against the same transactions
without the audit event, on the configured database.

Usage: DATABASE_URL=... python bench/audit_log.py [--events N] [--append SECONDS]
Prints one JSON object. Runs on a throwaway database (the test database machinery).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--append", type=float, default=0.0, help="seconds of append load")
    parser.add_argument("--threads", type=int, default=4)
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
    }
    try:
        from anzu.common.testing import OrganizationFactory
        from anzu.core import audit
        from anzu.core.models import AuditEvent, Counter
        from anzu.risk import auditlog
        from anzu.risk.export import export, verify_dir

        org = OrganizationFactory()
        now = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        batch = []
        with transaction.atomic():
            for i in range(args.events):
                batch.append(
                    AuditEvent(
                        organization_id=org.pk,
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
        figures["build_s"] = round(time.perf_counter() - t0, 2)

        t0 = time.perf_counter()
        auditlog.integrate(limit=50000)
        figures["integrate_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        auditlog.checkpoint(force=True)
        figures["checkpoint_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        report = auditlog.verify_database()
        figures["verify_db_s"] = round(time.perf_counter() - t0, 2)
        figures["verify_db_ok"] = report.ok
        out = Path(home) / "export"
        t0 = time.perf_counter()
        export(out)
        figures["export_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        offline = verify_dir(out)
        figures["verify_export_s"] = round(time.perf_counter() - t0, 2)
        figures["verify_export_ok"] = offline.ok

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
    finally:
        connections.close_all()
        creation.destroy_test_db(test_db, verbosity=0)
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
