"""Sequencing audit events into the Merkle log, signing checkpoints, proofs and verification.

Sequencing is exact under concurrent writers:

* PostgreSQL: every audit event carries the id of the transaction that wrote it (``txid``,
  a column default). A run integrates the events whose transaction id is below the oldest
  still-running transaction (``pg_snapshot_xmin``): those transactions have all finished, so no
  event can appear later behind the cursor. Events are ordered by (txid, id).
* SQLite: writers are serialized by the database lock (``BEGIN IMMEDIATE``), so event ids are
  committed in order and the cursor is the last integrated id.

The sequencer holds the lock on the single :class:`LogState` row; indexes are gapless.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from anzu.common import clock
from anzu.core.models import AuditEvent
from anzu.risk import keys, merkle, note
from anzu.risk.models import LogEntry, LogState, SignedCheckpoint

EVENT_FIELDS = (
    "id",
    "organization_id",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "request_id",
    "ip",
    "user_agent",
    "created_at",
)


_COLUMNS = ", ".join(f"e.{name}" for name in EVENT_FIELDS)


def canonical(event: dict[str, Any]) -> bytes:
    """The canonical bytes of one event: JSON, keys sorted, compact, UTF-8."""
    data = dict(event)
    created = data.get("created_at")
    if isinstance(created, dt.datetime):
        data["created_at"] = created.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _event_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An event dict from a raw row of ``_COLUMNS`` (identical on SQLite and PostgreSQL)."""
    event = dict(zip(EVENT_FIELDS, row, strict=True))
    changes = event["changes"]
    if isinstance(changes, str | bytes):
        event["changes"] = json.loads(changes)
    created = event["created_at"]
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    event["created_at"] = created
    if event["ip"] is not None:
        event["ip"] = str(event["ip"])
    return event


def _events(ids: list[int]) -> Iterator[dict[str, Any]]:
    """The events with these ids, in the order given (missing ones are skipped)."""
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        with connection.cursor() as cur:
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"SELECT {_COLUMNS} FROM core_auditevent e WHERE e.id IN ({marks})", chunk)
            rows = {row[0]: row for row in cur.fetchall()}
        for event_id in chunk:
            if event_id in rows:
                yield _event_from_row(rows[event_id])


def _log_rows() -> Iterator[tuple[int, int, bytes, dict[str, Any] | None]]:
    """(index, event id, stored leaf hash, event or None) for the whole log, in index order."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT l.{connection.ops.quote_name('index')}, l.event_id, l.leaf_hash, {_COLUMNS} "
            "FROM risk_logentry l LEFT JOIN core_auditevent e ON e.id = l.event_id "
            f"ORDER BY l.{connection.ops.quote_name('index')}"
        )
        while True:
            rows = cur.fetchmany(10000)
            if not rows:
                return
            for row in rows:
                event = _event_from_row(row[3:]) if row[3] is not None else None
                yield int(row[0]), int(row[1]), bytes(row[2]), event


def _state() -> LogState:
    state = LogState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        LogState.objects.get_or_create(pk=1)
        state = LogState.objects.select_for_update().get(pk=1)
    return state


def _pending(state: LogState, limit: int) -> tuple[list[tuple[int, int]], int | None]:
    """(txid, event id) of the next events to integrate in log order, and on PostgreSQL the
    snapshot's xmin (every transaction below it has finished)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT s::text, pg_snapshot_xmin(s)::text::bigint "
                "FROM (SELECT pg_current_snapshot() AS s) AS snap"
            )
            snapshot, xmin = cur.fetchone()
            # Finished before the snapshot, not yet in the log. Transactions still running at
            # the snapshot are picked up by a later run: the low watermark only passes xmin.
            cur.execute(
                "SELECT e.txid, e.id FROM core_auditevent e "
                "WHERE e.txid >= %s "
                "AND pg_visible_in_snapshot(e.txid::text::xid8, %s::pg_snapshot) "
                "AND NOT EXISTS (SELECT 1 FROM risk_logentry l WHERE l.event_id = e.id) "
                "ORDER BY e.txid, e.id LIMIT %s",
                [state.low_txid, snapshot, limit],
            )
            return [(int(t), int(i)) for t, i in cur.fetchall()], int(xmin)
    ids = (
        AuditEvent.objects.filter(id__gt=state.last_event_id)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return [(-1, int(i)) for i in ids], None


def integrate(*, limit: int = 20000) -> int:
    """Append the next finished audit events to the log. Returns how many were appended."""
    total = 0
    while True:
        with transaction.atomic():
            state = _state()
            pending, xmin = _pending(state, limit)
            if pending:
                compact = merkle.CompactRange(state.size, [bytes.fromhex(h) for h in state.compact])
                entries = []
                by_id = {e["id"]: e for e in _events([i for _t, i in pending])}
                for _txid, event_id in pending:
                    leaf = merkle.leaf_hash(canonical(by_id[event_id]))
                    entries.append(LogEntry(index=compact.size, event_id=event_id, leaf_hash=leaf))
                    compact.append(leaf)
                LogEntry.objects.bulk_create(entries, batch_size=5000)
                state.size = compact.size
                state.compact = [h.hex() for h in compact.hashes]
                state.last_event_id = max(state.last_event_id, pending[-1][1])
                total += len(entries)
            complete = len(pending) < limit
            if xmin is not None and complete and xmin > state.low_txid:
                state.low_txid = xmin
            if pending or (xmin is not None and complete):
                state.save()
        if complete:
            return total


def current_root() -> tuple[int, bytes]:
    state = LogState.objects.filter(pk=1).first()
    if state is None:
        return 0, merkle.EMPTY_ROOT
    return state.size, merkle.CompactRange(
        state.size, [bytes.fromhex(h) for h in state.compact]
    ).root()


def checkpoint(*, force: bool = False) -> SignedCheckpoint | None:
    """Sign a checkpoint when N new events or T seconds have passed (or ``force``)."""
    with transaction.atomic():
        state = _state()
        last = SignedCheckpoint.objects.order_by("-id").first()
        size = state.size
        if last is not None and last.size >= size:
            return None
        if last is not None and not force:
            due_events = size - last.size >= settings.AUDIT_CHECKPOINT_EVENTS
            due_time = clock.now() - last.created_at >= dt.timedelta(
                seconds=settings.AUDIT_CHECKPOINT_SECONDS
            )
            if not (due_events or due_time):
                return None
        root = merkle.CompactRange(size, [bytes.fromhex(h) for h in state.compact]).root()
        body = note.checkpoint_body(keys.origin(), size, root)
        signed = note.sign_note(body, name=keys.origin(), private_key=keys.private_key())
        return SignedCheckpoint.objects.create(
            size=size, root=root, note=signed, created_at=clock.now()
        )


def leaf_hashes(size: int | None = None) -> list[bytes]:
    qs = LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    if size is not None:
        qs = qs[:size]
    return [bytes(h) for h in qs]


class ProofError(ValueError):
    """A proof was asked for outside the log."""


def prove(*, index: int, size: int | None = None) -> dict[str, Any]:
    import base64

    log_size, _root = current_root()
    size = log_size if size is None else size
    if size < 1 or size > log_size:
        raise ProofError(f"size must be between 1 and {log_size}")
    if index < 0 or index >= size:
        raise ProofError(f"index must be between 0 and {size - 1}")
    leaves = leaf_hashes(size)
    proof = merkle.inclusion_proof(leaves, index, size)
    return {
        "index": index,
        "size": size,
        "leaf_hash": base64.b64encode(leaves[index]).decode(),
        "proof": [base64.b64encode(p).decode() for p in proof],
    }


def consistency(*, old_size: int, new_size: int) -> dict[str, Any]:
    import base64

    log_size, _root = current_root()
    if not 1 <= old_size <= new_size <= log_size:
        raise ProofError(f"need 1 ≤ from ≤ to ≤ {log_size}")
    leaves = leaf_hashes(new_size)
    proof = merkle.consistency_proof(leaves, old_size, new_size)
    return {
        "from": old_size,
        "to": new_size,
        "proof": [base64.b64encode(p).decode() for p in proof],
    }


# Verification -----------------------------------------------------------------------------


@dataclass
class Report:
    ok: bool = True
    first_bad_index: int | None = None
    problems: list[str] = field(default_factory=list)
    size: int = 0
    checkpoints: int = 0

    def fail(self, message: str, index: int | None = None) -> None:
        self.ok = False
        self.problems.append(message)
        if index is not None and (self.first_bad_index is None or index < self.first_bad_index):
            self.first_bad_index = index

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "checkpoints": self.checkpoints,
            "first_bad_index": self.first_bad_index,
            "problems": self.problems,
        }


def check_checkpoints(
    report: Report, leaves: list[bytes], notes: Iterable[str], verifier: note.Verifier
) -> None:
    """Each note must verify, commit to a prefix of ``leaves``, and agree with the others."""
    roots_by_size: dict[int, bytes] = {}
    opened: list[note.Checkpoint] = []
    for text in notes:
        try:
            cp = note.open_checkpoint(text, verifier)
        except note.NoteError as exc:
            report.fail(f"checkpoint does not verify: {exc}")
            continue
        if cp.size in roots_by_size and roots_by_size[cp.size] != cp.root:
            report.fail(f"fork: two checkpoints of size {cp.size} with different roots")
        roots_by_size[cp.size] = cp.root
        opened.append(cp)
        report.checkpoints += 1
    good_up_to = 0
    for cp in sorted(opened, key=lambda c: c.size):
        if cp.size > len(leaves):
            report.fail(
                f"checkpoint of size {cp.size} is larger than the log ({len(leaves)})", len(leaves)
            )
            continue
        if merkle.root(leaves[: cp.size]) != cp.root:
            # Point at an entry already known to be bad in this range, else at its start.
            known = report.first_bad_index
            pinned = known is not None and good_up_to <= known < cp.size
            report.fail(
                f"entries {good_up_to}..{cp.size - 1} do not match the checkpoint of size {cp.size}",
                None if pinned else good_up_to,
            )
        else:
            good_up_to = cp.size


def verify_database(*, external_notes: Iterable[str] = ()) -> Report:
    """Recompute every leaf from the stored events and check every stored checkpoint."""
    report = Report()
    leaves: list[bytes] = []
    for position, (index, event_id, stored, event) in enumerate(_log_rows()):
        if index != position and report.ok:
            report.fail(f"index {position} is missing from the log", position)
        if event is None:
            report.fail(f"entry {index}: audit event {event_id} is missing", index)
            leaves.append(stored)
            continue
        leaf = merkle.leaf_hash(canonical(event))
        if leaf != stored:
            report.fail(f"entry {index}: audit event {event_id} was altered", index)
        leaves.append(leaf)
    report.size = len(leaves)
    verifier = note.parse_verifier_key(keys.vkey())
    notes = [c.note for c in SignedCheckpoint.objects.order_by("id")]
    check_checkpoints(report, leaves, [*notes, *external_notes], verifier)
    return report
