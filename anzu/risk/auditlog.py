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
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _json_string  # json.dumps' own escaper
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from anzu.common import clock
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


# json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False), built once.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_UTC = dt.UTC


def canonical(event: dict[str, Any]) -> bytes:
    """The canonical bytes of one event: JSON, keys sorted, compact, UTF-8."""
    data = dict(event)
    created = data.get("created_at")
    if isinstance(created, dt.datetime):
        data["created_at"] = created.astimezone(_UTC).isoformat(timespec="microseconds")
    return _ENCODER.encode(data).encode("utf-8")


# The top level of every canonical event has the same keys: fill a template in sorted-key order
# and encode each value as json.dumps would (strings with the same C escaper, ints with repr).
_SORTED_FIELDS = sorted(EVENT_FIELDS)
_ORDER = tuple(EVENT_FIELDS.index(name) for name in _SORTED_FIELDS)
_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in _SORTED_FIELDS) + "}"
_CHANGES = EVENT_FIELDS.index("changes")
_CREATED = EVENT_FIELDS.index("created_at")
_IP = EVENT_FIELDS.index("ip")


def _canonical_row(row: Sequence[Any]) -> bytes:
    """The canonical bytes of the event in a raw row of ``_columns()`` (the hot loop of
    integration, export and verification; no model instance, no intermediate dict).

    Byte-for-byte ``canonical(event)``; values of any other type than str, int or None at the
    top level fall back to it.
    """
    values = list(row)
    changes = values[_CHANGES]
    if changes.__class__ is str or isinstance(changes, bytes):
        values[_CHANGES] = changes = json.loads(changes)
    created = values[_CREATED]
    if not (created.__class__ is str and created[10:11] == "T" and created.endswith("+00:00")):
        # SQLite gives "YYYY-MM-DD HH:MM:SS.ffffff" (UTC); PostgreSQL the final text already.
        if created.__class__ is str:
            created = dt.datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=_UTC)
        values[_CREATED] = created.astimezone(_UTC).isoformat(timespec="microseconds")
    ip = values[_IP]
    if ip is not None and ip.__class__ is not str:
        values[_IP] = str(ip)
    parts = []
    for position in _ORDER:
        value = values[position]
        kind = value.__class__
        if kind is str:
            parts.append(_json_string(value))
        elif kind is int:
            parts.append(int.__repr__(value))
        elif value is None:
            parts.append("null")
        elif position == _CHANGES:
            parts.append(_ENCODER.encode(value))
        else:
            return canonical(dict(zip(EVENT_FIELDS, values, strict=True)))
    return (_TEMPLATE % tuple(parts)).encode("utf-8")


def _columns() -> str:
    """The event columns for ``_canonical_row``. On PostgreSQL ``created_at`` comes formatted
    exactly as ``datetime.isoformat(timespec="microseconds")`` of the UTC time, which spares
    a datetime object per row."""
    columns = [f"e.{name}" for name in EVENT_FIELDS]
    if connection.vendor == "postgresql":
        columns[EVENT_FIELDS.index("created_at")] = (
            "to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
        )
    return ", ".join(columns)


# Rows per round trip when streaming the log.
STREAM_BATCH = 20000


@contextmanager
def _streaming_cursor() -> Iterator[Any]:
    """A cursor that streams a large result in batches instead of loading it at once.

    PostgreSQL: a server-side cursor inside a transaction, planned for the whole result
    (``cursor_tuple_fraction = 1``: a hash or merge join, not a fast-start nested loop).
    SQLite reads rows lazily already.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL cursor_tuple_fraction = 1.0")
            cur = connection.chunked_cursor()
        else:
            cur = connection.cursor()
        try:
            yield cur
        finally:
            cur.close()


def _log_rows(size: int | None = None) -> Iterator[tuple[int, int, bytes, bytes | None]]:
    """(index, event id, stored leaf hash, canonical event bytes or None when the event is
    missing) for the log (its first ``size`` entries), in index order, streamed."""
    index = connection.ops.quote_name("index")
    where = f"WHERE l.{index} < %s " if size is not None else ""
    with _streaming_cursor() as cur:
        cur.execute(
            f"SELECT l.{index}, l.event_id, l.leaf_hash, {_columns()} "
            f"FROM risk_logentry l LEFT JOIN core_auditevent e ON e.id = l.event_id "
            f"{where}ORDER BY l.{index}",
            [size] if size is not None else [],
        )
        for rows in _batches(cur):
            for row in rows:
                data = _canonical_row(row[3:]) if row[3] is not None else None
                yield row[0], row[1], bytes(row[2]), data


def _batches(cur: Any) -> Iterator[list[Any]]:
    """The rows of an executed streaming cursor in batches of ``STREAM_BATCH``.

    On PostgreSQL the next batch is fetched by a helper thread while this one is hashed, so
    the server's work overlaps Python's (the thread waits on the socket without the GIL). Only
    that thread touches the connection until the stream ends.
    """
    if connection.vendor != "postgresql":
        while rows := cur.fetchmany(STREAM_BATCH):
            yield rows
        return
    raw = cur.cursor  # the driver's cursor: Django's wrapper is bound to its thread
    ready: queue.Queue[list[Any] | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        while not stop.is_set():
            try:
                item: list[Any] | BaseException = raw.fetchmany(STREAM_BATCH)
            except BaseException as exc:  # handed to the reading thread
                item = exc
            while not stop.is_set():
                try:
                    ready.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not item or isinstance(item, BaseException):
                return

    worker = threading.Thread(target=fetch, name="audit-log-fetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if isinstance(item, BaseException):
                with connection.wrap_database_errors:
                    raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _state() -> LogState:
    state = LogState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        LogState.objects.get_or_create(pk=1)
        state = LogState.objects.select_for_update().get(pk=1)
    return state


def _pending(
    state: LogState, limit: int, snapshot: str | None, after: tuple[int, int] | None
) -> list[Sequence[Any]]:
    """The next events to integrate, in log order: rows of (txid, *_columns()).

    PostgreSQL: the events of transactions that had finished at ``snapshot`` and are not yet in
    the log, ordered by (txid, id), after the keyset ``after`` (the last row of the previous
    batch under the same snapshot, so a long backlog is read once, not rescanned per batch).
    Transactions still running at the snapshot are picked up by a later run: the low watermark
    only passes the snapshot's xmin. SQLite: the events after the last integrated id.
    """
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            keyset = "AND (e.txid, e.id) > (%s, %s) " if after is not None else ""
            cur.execute(
                f"SELECT e.txid, {_columns()} FROM core_auditevent e "
                "WHERE e.txid >= %s "
                "AND pg_visible_in_snapshot(e.txid::text::xid8, %s::pg_snapshot) "
                f"{keyset}"
                "AND NOT EXISTS (SELECT 1 FROM risk_logentry l WHERE l.event_id = e.id) "
                "ORDER BY e.txid, e.id LIMIT %s",
                [state.low_txid, snapshot, *(after or ()), limit],
            )
        else:
            cur.execute(
                f"SELECT -1, {_columns()} FROM core_auditevent e WHERE e.id > %s "
                "ORDER BY e.id LIMIT %s",
                [state.last_event_id, limit],
            )
        return cur.fetchall()


def _snapshot() -> tuple[str | None, int | None]:
    """PostgreSQL: the current snapshot and its xmin (every transaction below it finished)."""
    if connection.vendor != "postgresql":
        return None, None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s::text, pg_snapshot_xmin(s)::text::bigint "
            "FROM (SELECT pg_current_snapshot() AS s) AS snap"
        )
        snapshot, xmin = cur.fetchone()
    return snapshot, int(xmin)


def _insert_entries(entries: list[tuple[int, int, bytes]]) -> None:
    """Multi-row INSERTs of (index, event id, leaf hash): no model instance per entry."""
    step = 5000 if connection.vendor == "postgresql" else 300
    index = connection.ops.quote_name("index")
    with connection.cursor() as cur:
        for start in range(0, len(entries), step):
            chunk = entries[start : start + step]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cur.execute(
                f"INSERT INTO risk_logentry ({index}, event_id, leaf_hash) VALUES {values}",
                [value for entry in chunk for value in entry],
            )


def integrate(*, limit: int = 20000) -> int:
    """Append the next finished audit events to the log. Returns how many were appended."""
    total = 0
    snapshot: str | None = None
    xmin: int | None = None
    after: tuple[int, int] | None = None
    while True:
        with transaction.atomic():
            state = _state()
            if after is None:
                # One snapshot for the whole run, taken under the lock.
                snapshot, xmin = _snapshot()
            pending = _pending(state, limit, snapshot, after)
            if pending:
                compact = merkle.CompactRange(state.size, [bytes.fromhex(h) for h in state.compact])
                leaves = [merkle.leaf_hash(_canonical_row(row[1:])) for row in pending]
                start = compact.size
                _insert_entries(
                    [
                        (start + offset, int(row[1]), leaf)
                        for offset, (row, leaf) in enumerate(zip(pending, leaves, strict=True))
                    ]
                )
                compact.extend(leaves)
                state.size = compact.size
                state.compact = [h.hex() for h in compact.hashes]
                state.last_event_id = max(state.last_event_id, int(pending[-1][1]))
                total += len(pending)
                after = (int(pending[-1][0]), int(pending[-1][1]))
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
    # The root of every checkpointed prefix, in one pass over the leaves.
    prefix = merkle.prefix_roots(leaves, [cp.size for cp in opened if cp.size <= len(leaves)])
    good_up_to = 0
    for cp in sorted(opened, key=lambda c: c.size):
        if cp.size > len(leaves):
            report.fail(
                f"checkpoint of size {cp.size} is larger than the log ({len(leaves)})", len(leaves)
            )
            continue
        if prefix[cp.size] != cp.root:
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
    # Checkpoints first: each one read now covers entries already committed to the log.
    notes = [c.note for c in SignedCheckpoint.objects.order_by("id")]
    leaves: list[bytes] = []
    append = leaves.append
    leaf_hash = merkle.leaf_hash
    for position, (index, event_id, stored, data) in enumerate(_log_rows()):
        if index != position and report.ok:
            report.fail(f"index {position} is missing from the log", position)
        if data is None:
            report.fail(f"entry {index}: audit event {event_id} is missing", index)
            append(stored)
            continue
        leaf = leaf_hash(data)
        if leaf != stored:
            report.fail(f"entry {index}: audit event {event_id} was altered", index)
        append(leaf)
    report.size = len(leaves)
    verifier = note.parse_verifier_key(keys.vkey())
    check_checkpoints(report, leaves, [*notes, *external_notes], verifier)
    return report
