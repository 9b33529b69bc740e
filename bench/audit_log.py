"""Benchmark: the verifiable audit log.

Builds N audit events (default 1,000,000) set-based, then times: sequencing them into the Merkle
log, signing a checkpoint, ``verify`` over the database, the whole ``anzu audit verify`` command
(start-up included, in a subprocess), export, and offline verification of the
export (``--runs`` times each; the median is reported, with the process CPU seconds beside the
wall seconds, and the load average before and after, since wall time on a shared machine is
mostly waiting for a core). With ``--append S`` it also measures audit appends inside business transactions: ``--processes``
writer processes (as web and task workers are), each transaction updating a row and writing
``--events-per-tx`` audit events, against the same transactions without the audit events, with the
sequencer integrating the log beside the load; the log is then verified.

Usage: DATABASE_URL=... python bench/audit_log.py [--events N] [--runs K] [--append SECONDS]
       [--processes P] [--events-per-tx E]
Prints one JSON object. Runs on a throwaway database (the test database machinery).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--append", type=float, default=0.0, help="seconds of append load")
    parser.add_argument("--processes", type=int, default=4, help="writer processes for --append")
    parser.add_argument(
        "--events-per-tx", type=int, default=1, help="audit events per business transaction"
    )
    parser.add_argument(
        "--sequence-every", type=float, default=1.0, help="seconds between sequencer runs"
    )
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

        command_env = dict(os.environ, DATABASE_URL=_database_url(connection.settings_dict))
        anzu = str(Path(sys.executable).with_name("anzu"))

        def verify_command() -> int:
            # The whole command as an operator runs it: start-up, sequencing, verification.
            return subprocess.run(
                [anzu, "audit", "verify"], env=command_env, capture_output=True, check=False
            ).returncode

        for _ in range(args.runs):
            report = timed("verify_db", auditlog.verify_database)
            figures["verify_db_ok"] = report.ok
            figures["verify_command_exit"] = timed("verify_command", verify_command)
            timed("export", lambda: export(out))
            offline = timed("verify_export", lambda: verify_dir(out))
            figures["verify_export_ok"] = offline.ok
        for name, values in runs.items():
            figures[name] = round(statistics.median(values), 2)
            if args.runs > 1:
                figures[f"{name}_runs"] = [round(v, 2) for v in values]
        figures["load_after_verify"] = round(os.getloadavg()[0], 1)

        if args.append > 0:
            figures.update(
                append_load(
                    org.pk, args.append, args.processes, args.events_per_tx, args.sequence_every
                )
            )
        figures["load_after"] = round(os.getloadavg()[0], 1)
    finally:
        connections.close_all()
        creation.destroy_test_db(test_db, verbosity=0)
    print(json.dumps(figures))


def _database_url(settings: dict[str, Any]) -> str:
    """A DATABASE_URL for the database the bench built (the test database)."""
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings.get("USER") or "", settings["HOST"], settings["PORT"]
    return f"postgresql://{user}@{host}:{port}/{settings['NAME']}"


def _writer(
    org_id: int,
    worker: int,
    with_audit: bool,
    events_per_tx: int,
    start: Any,
    stop: Any,
    out: Any,
) -> None:
    """One writer process: business transactions — a row update and, with ``with_audit``, its
    audit events in the same transaction — until ``stop`` is set. Puts its transaction count."""
    from django.db import connections, transaction
    from django.db.models import F

    from anzu.core import audit
    from anzu.core.models import Counter

    name = f"bench-{worker}"
    counter, _ = Counter.objects.get_or_create(organization_id=org_id, name=name)
    n = 0
    start.wait()
    while not stop.is_set():
        with transaction.atomic():
            Counter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
            if with_audit:
                for k in range(events_per_tx):
                    audit.record(
                        action="bench.write",
                        object_type="core.counter",
                        object_id=counter.pk,
                        organization=org_id,
                        actor=None,
                        changes={"value": [n, n + 1], "part": k},
                    )
        n += 1
    connections.close_all()
    out.put(n)


def _sequencer(every: float, stop: Any, out: Any) -> None:
    """The sequencer as the periodic task runs it, every ``every`` seconds during the load:
    integrate finished events into the Merkle log and sign a checkpoint when due."""
    from django.db import connections

    from anzu.risk import auditlog

    runs = []
    while not stop.wait(every):
        t0 = time.perf_counter()
        appended = auditlog.integrate()
        auditlog.checkpoint()
        runs.append((appended, time.perf_counter() - t0))
    connections.close_all()
    out.put(runs)


def append_load(
    org_id: int, seconds: float, processes: int, events_per_tx: int, sequence_every: float
) -> dict[str, object]:
    """Business transactions from ``processes`` writer processes for ``seconds``, without and
    then with audit events, the sequencer running beside the second load; then the log is
    sequenced to the end and verified (every event in it, indexes gapless)."""
    from django.db import connection, connections

    from anzu.core.models import AuditEvent
    from anzu.risk import auditlog
    from anzu.risk.models import LogState

    context = multiprocessing.get_context("fork")
    figures: dict[str, object] = {
        "append_processes": processes,
        "append_events_per_tx": events_per_tx,
    }
    auditlog.integrate(limit=50000)
    events_before = AuditEvent.objects.count()
    for with_audit in (False, True):
        connections.close_all()  # each child opens its own connection
        start, stop, out = context.Event(), context.Event(), context.Queue()
        children = [
            context.Process(
                target=_writer, args=(org_id, w, with_audit, events_per_tx, start, stop, out)
            )
            for w in range(processes)
        ]
        sequencer_out = context.Queue()
        sequencer = context.Process(target=_sequencer, args=(sequence_every, stop, sequencer_out))
        for child in children:
            child.start()
        time.sleep(1.0)  # connections open, counters created
        if with_audit:
            sequencer.start()
        start.set()
        t0 = time.perf_counter()
        time.sleep(seconds)
        stop.set()
        counts = [out.get() for _ in children]
        elapsed = time.perf_counter() - t0
        for child in children:
            child.join()
        key = "with_audit" if with_audit else "without_audit"
        figures[f"tx_per_s_{key}"] = round(sum(counts) / elapsed)
        if with_audit:
            runs = sequencer_out.get()
            sequencer.join()
            figures["audit_events_per_s"] = round(sum(counts) * events_per_tx / elapsed)
            figures["sequencer_runs"] = len(runs)
            figures["sequencer_max_run_s"] = round(max((r[1] for r in runs), default=0.0), 3)
            figures["sequenced_during_load"] = sum(r[0] for r in runs)
    figures["append_cost_ratio"] = round(
        figures["tx_per_s_without_audit"] / max(1, figures["tx_per_s_with_audit"]),  # type: ignore[operator]
        2,
    )
    connection.close()
    written = AuditEvent.objects.count() - events_before
    auditlog.integrate(limit=50000)
    state = LogState.objects.get(pk=1)
    figures["append_events_written"] = written
    figures["log_size_equals_events"] = state.size == AuditEvent.objects.count()
    figures["verify_after_append_ok"] = auditlog.verify_database().ok
    return figures


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
