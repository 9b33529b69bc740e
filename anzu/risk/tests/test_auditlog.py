from __future__ import annotations

import base64
import datetime as dt
import json
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from anzu.core import audit, guards
from anzu.core.models import AuditEvent
from anzu.risk import auditlog, merkle
from anzu.risk.export import export, verify_dir
from anzu.risk.models import LogEntry, LogState, SignedCheckpoint

# The sequencer integrates only finished transactions (on PostgreSQL, those below the oldest
# running one), so these tests commit their writes instead of running inside one transaction.


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.ANZU_HOME = tmp_path / "home"


def _write_events(org, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with transaction.atomic():
            audit.record(
                action="test.event",
                object_type="test",
                object_id=i,
                organization=org,
                actor=None,
                changes={"n": [None, i], "名称": [None, f"租户{i}"]},
            )


def _b64(values):
    return [base64.b64decode(v) for v in values]


@pytest.mark.django_db(transaction=True)
def test_integrate_is_gapless_and_proofs_verify(org):
    _write_events(org, 37)
    assert auditlog.integrate() == 37
    assert auditlog.integrate() == 0
    assert list(LogEntry.objects.values_list("index", flat=True)) == list(range(37))
    size, root = auditlog.current_root()
    assert size == 37
    assert root == merkle.root(auditlog.leaf_hashes())
    for index in (0, 17, 36):
        p = auditlog.prove(index=index, size=37)
        assert merkle.verify_inclusion(
            base64.b64decode(p["leaf_hash"]), index, 37, _b64(p["proof"]), root
        )
    old_root = merkle.root(auditlog.leaf_hashes(20))
    c = auditlog.consistency(old_size=20, new_size=37)
    assert merkle.verify_consistency(20, 37, old_root, root, _b64(c["proof"]))
    with pytest.raises(auditlog.ProofError):
        auditlog.prove(index=37)
    with pytest.raises(auditlog.ProofError):
        auditlog.consistency(old_size=0, new_size=5)


@pytest.mark.django_db(transaction=True)
def test_leaf_is_the_canonical_json_of_the_event(org):
    _write_events(org, 1)
    auditlog.integrate()
    event = AuditEvent.objects.values(*auditlog.EVENT_FIELDS).get()
    data = auditlog.canonical(event)
    assert (
        data
        == json.dumps(
            json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    )
    assert "租户0".encode() in data
    assert bytes(LogEntry.objects.get().leaf_hash) == merkle.leaf_hash(data)


@pytest.mark.django_db(transaction=True)
def test_checkpoints_every_n_events(org, settings):
    settings.AUDIT_CHECKPOINT_EVENTS = 10
    _write_events(org, 5)
    auditlog.integrate()
    assert auditlog.checkpoint() is not None  # the first one is always signed
    _write_events(org, 5, start=5)
    auditlog.integrate()
    assert auditlog.checkpoint() is None  # 5 < 10 new events and not yet 300 s
    _write_events(org, 5, start=10)
    auditlog.integrate()
    assert auditlog.checkpoint().size == 15
    assert auditlog.checkpoint(force=True) is None  # nothing new to sign


@pytest.mark.django_db(transaction=True)
def test_export_verifies_offline_and_detects_edits(org, tmp_path, capsys):
    _write_events(org, 20)
    call_command("audit", "export", "--out", str(tmp_path / "x"))
    assert json.loads(capsys.readouterr().out) == {"entries": 20, "size": 20}
    assert verify_dir(tmp_path / "x").ok
    call_command("audit", "verify", str(tmp_path / "x"))
    assert json.loads(capsys.readouterr().out)["ok"] is True

    lines = (tmp_path / "x" / "entries.jsonl").read_bytes().split(b"\n")
    # A canonical edit of entry 7 breaks the root.
    edited = lines.copy()
    edited[7] = edited[7].replace("租户7".encode(), "租户X".encode())
    (tmp_path / "x" / "entries.jsonl").write_bytes(b"\n".join(edited))
    report = verify_dir(tmp_path / "x")
    assert not report.ok
    assert report.first_bad_index == 0  # only one checkpoint: the whole range is unproven
    # A non-canonical edit is pinned to its line.
    edited = lines.copy()
    edited[9] = edited[9].replace(b'"action":', b'"action" :')
    (tmp_path / "x" / "entries.jsonl").write_bytes(b"\n".join(edited))
    assert verify_dir(tmp_path / "x").first_bad_index == 9
    assert any("entry 9" in p for p in verify_dir(tmp_path / "x").problems)
    # Reordering and deleting are detected.
    swapped = lines.copy()
    swapped[3], swapped[4] = swapped[4], swapped[3]
    (tmp_path / "x" / "entries.jsonl").write_bytes(b"\n".join(swapped))
    assert not verify_dir(tmp_path / "x").ok
    (tmp_path / "x" / "entries.jsonl").write_bytes(b"\n".join(lines[:5] + lines[6:]))
    assert not verify_dir(tmp_path / "x").ok
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify", str(tmp_path / "x"))
    assert exit_info.value.code == 1


@pytest.mark.django_db(transaction=True)
def test_bisected_checkpoints_narrow_the_bad_range(org, tmp_path):
    for start in (0, 10, 20):
        _write_events(org, 10, start=start)
        auditlog.integrate()
        auditlog.checkpoint(force=True)
    export(tmp_path / "y")
    lines = (tmp_path / "y" / "entries.jsonl").read_bytes().split(b"\n")
    lines[25] = lines[25].replace("租户25".encode(), "租户Z".encode())
    (tmp_path / "y" / "entries.jsonl").write_bytes(b"\n".join(lines))
    report = verify_dir(tmp_path / "y")
    assert report.first_bad_index == 20
    assert report.checkpoints == 4  # the latest (also in the history) plus three historical


@pytest.mark.django_db(transaction=True)
def test_append_only_log_tables(org):
    _write_events(org, 2)
    auditlog.integrate()
    auditlog.checkpoint(force=True)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(index=0).update(event_id=999)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        SignedCheckpoint.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_superuser_edit_is_pinned_to_its_index(org):
    _write_events(org, 12)
    auditlog.integrate()
    auditlog.checkpoint(force=True)
    target = LogEntry.objects.get(index=8).event_id
    with guards.lifted():
        AuditEvent.objects.filter(pk=target).update(action="tampered")
    report = auditlog.verify_database()
    assert not report.ok
    assert report.first_bad_index == 8


@pytest.mark.django_db(transaction=True)
def test_truncate_and_rebuild_is_caught_by_an_earlier_checkpoint(org, tmp_path):
    _write_events(org, 15)
    auditlog.integrate()
    kept = auditlog.checkpoint(force=True)
    (tmp_path / "kept.note").write_text(kept.note, encoding="utf-8")
    victim = LogEntry.objects.get(index=3).event_id
    with guards.lifted():
        AuditEvent.objects.filter(pk=victim).update(object_repr="rewritten")
        LogEntry.objects.all().delete()
        SignedCheckpoint.objects.all().delete()
        LogState.objects.all().delete()
    auditlog.integrate()
    auditlog.checkpoint(force=True)
    assert auditlog.verify_database().ok  # consistent with itself after the rebuild…
    report = auditlog.verify_database(external_notes=[kept.note])
    assert not report.ok  # …but not with the checkpoint kept elsewhere
    assert any("fork" in p for p in report.problems)
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--checkpoint", str(tmp_path / "kept.note"))


@pytest.mark.django_db(transaction=True)
def test_prove_and_consistency_commands(org, capsys):
    _write_events(org, 9)
    call_command("audit", "checkpoint")
    capsys.readouterr()
    call_command("audit", "prove", "--index", "4", "--size", "9")
    out = json.loads(capsys.readouterr().out)
    assert (out["index"], out["size"], len(out["proof"])) == (4, 9, 4)
    call_command("audit", "consistency", "--from", "3", "--to", "9")
    out = json.loads(capsys.readouterr().out)
    assert (out["from"], out["to"]) == (3, 9)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="index must be between"):
        call_command("audit", "prove", "--index", "9")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"
)
def test_concurrent_writers_and_sequencer_stay_gapless(org):
    writers, per_writer = 6, 40
    stop = threading.Event()
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    audit.record(
                        action="w",
                        object_type="t",
                        object_id=f"{worker}-{i}",
                        organization=org,
                        actor=None,
                    )
                    if i % 7 == 0:
                        # A slow transaction commits after later ones started.
                        connection.cursor().execute("SELECT pg_sleep(0.01)")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def sequence() -> None:
        while not stop.is_set():
            auditlog.integrate(limit=25)
        connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    seq = threading.Thread(target=sequence)
    seq.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    seq.join()
    assert not errors
    auditlog.integrate()
    total = AuditEvent.objects.count()
    assert total == writers * per_writer
    assert list(LogEntry.objects.values_list("index", flat=True)) == list(range(total))
    assert LogEntry.objects.values("event_id").distinct().count() == total
    assert auditlog.verify_database().ok


@pytest.mark.django_db(transaction=True)
def test_export_checked_against_a_checkpoint_kept_elsewhere(org, tmp_path):
    from anzu.risk import keys, note

    _write_events(org, 6)
    auditlog.integrate()
    auditlog.checkpoint(force=True)
    export(tmp_path / "z")
    kept = note.sign_note(
        note.checkpoint_body(keys.origin(), 6, bytes(32)),
        name=keys.origin(),
        private_key=keys.private_key(),
    )
    (tmp_path / "kept.note").write_text(kept, encoding="utf-8")
    assert verify_dir(tmp_path / "z").ok
    report = verify_dir(tmp_path / "z", external_notes=[kept])
    assert not report.ok
    assert any("fork" in p for p in report.problems)
    with pytest.raises(SystemExit):
        call_command(
            "audit", "verify", str(tmp_path / "z"), "--checkpoint", str(tmp_path / "kept.note")
        )


@pytest.mark.django_db(transaction=True)
def test_streamed_leaves_equal_the_reference_encoding_of_awkward_events(org, monkeypatch):
    """Integration and verification read raw rows (on PostgreSQL with ``created_at`` formatted
    by the database); each leaf must still be SHA-256(0x00 ‖ json.dumps(...)) of the event."""
    awkward = [
        {
            '引号"与\\反斜杠': ["a\nb\tc\x01", "ü€𝄞"],
            "z": [None, 1.5],
            "a": [[1, {"y": 2, "x": 1}], True],
        },
        {},
        {"value": [0, -(2**63)]},
    ]
    for i, changes in enumerate(awkward):
        with transaction.atomic():
            audit.record(
                action="test.awkward",
                object_type="test",
                object_id=f"id\u2028{i}",
                organization=org if i != 1 else None,
                actor=None,
                changes=changes,
            )
    # Several batches, so the keyset paging and the streaming cursor both turn over.
    monkeypatch.setattr(auditlog, "STREAM_BATCH", 2)
    _write_events(org, 5)
    assert auditlog.integrate(limit=3) == 8
    stored = {e.event_id: bytes(e.leaf_hash) for e in LogEntry.objects.all()}
    for event in AuditEvent.objects.values(*auditlog.EVENT_FIELDS):
        reference = dict(event)
        reference["created_at"] = (
            event["created_at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
        )
        data = json.dumps(
            reference, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        assert stored[event["id"]] == merkle.leaf_hash(data)
    auditlog.checkpoint(force=True)
    report = auditlog.verify_database()
    assert report.ok and report.size == 8, report.problems
