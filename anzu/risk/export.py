"""Offline export of the audit log, and its verification from the exported files alone."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from anzu.risk import keys, merkle, note
from anzu.risk.auditlog import EVENT_FIELDS, Report, _log_rows, canonical, check_checkpoints
from anzu.risk.models import SignedCheckpoint

_FIELDS = frozenset(EVENT_FIELDS)


def export(out: Path) -> dict[str, int]:
    """Write ``entries.jsonl``, ``checkpoint`` (latest), ``checkpoints.jsonl`` (all) and ``vkey``."""
    out.mkdir(parents=True, exist_ok=True)
    latest = SignedCheckpoint.objects.order_by("-id").first()
    size = latest.size if latest is not None else 0
    written = 0
    with (out / "entries.jsonl").open("wb") as fh:
        for _index, _event_id, _leaf, data in _log_rows(size):
            if data is not None:  # a missing event leaves the export short: verify says so
                fh.write(data + b"\n")
                written += 1
    (out / "checkpoint").write_text(latest.note if latest else "", encoding="utf-8")
    with (out / "checkpoints.jsonl").open("w", encoding="utf-8") as fh:
        for cp in SignedCheckpoint.objects.order_by("id"):
            fh.write(json.dumps({"size": cp.size, "note": cp.note}, ensure_ascii=False) + "\n")
    (out / "vkey").write_text(keys.vkey() + "\n", encoding="utf-8")
    return {"entries": written, "size": size}


def verify_dir(folder: Path, *, external_notes: Iterable[str] = ()) -> Report:
    """Check an export with nothing but its files: canonical lines, the signed checkpoints,
    and any ``external_notes`` (checkpoints kept elsewhere that the export must still match)."""
    report = Report()
    try:
        verifier = note.parse_verifier_key((folder / "vkey").read_text(encoding="utf-8"))
        latest = (folder / "checkpoint").read_text(encoding="utf-8")
        raw_lines = (folder / "entries.jsonl").read_bytes().split(b"\n")
    except (OSError, note.NoteError) as exc:
        report.fail(f"export unreadable: {exc}", 0)
        return report
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    leaves: list[bytes] = []
    for index, line in enumerate(raw_lines):
        try:
            event = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            report.fail(f"entry {index}: not valid JSON", index)
            event = None
        if event is not None and (
            not isinstance(event, dict) or event.keys() != _FIELDS or canonical(event) != line
        ):
            report.fail(f"entry {index}: not in canonical form", index)
        leaves.append(merkle.leaf_hash(line))
    report.size = len(leaves)
    notes = [latest]
    history = folder / "checkpoints.jsonl"
    if history.exists():
        for row in history.read_text(encoding="utf-8").splitlines():
            try:
                notes.append(json.loads(row)["note"])
            except (json.JSONDecodeError, KeyError, TypeError):
                report.fail("checkpoints.jsonl: malformed line")
    check_checkpoints(report, leaves, [*notes, *external_notes], verifier)
    try:
        size = note.open_checkpoint(latest, verifier).size
        if size != len(leaves):
            report.fail(
                f"the checkpoint covers {size} entries, the export has {len(leaves)}",
                min(size, len(leaves)),
            )
    except note.NoteError:
        pass  # already reported
    return report
