"""Evidence bundles: a document with the proof that the audit log recorded it.

A bundle is a zip holding ``document.pdf``, ``event.json`` (the canonical audit event that
archived it), ``proof.json`` (inclusion proof), ``checkpoint`` (signed note), ``vkey`` and, for
signed PDFs, ``root.pem`` (the organization's signing root). :func:`verify_bundle` checks it
offline: the PDF's SHA-256 is the one the event recorded, the event is in the tree the signed
checkpoint commits to, and (when present) the PDF signature chains to the root.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from anzu.core.models import AuditEvent, Organization
from anzu.risk import auditlog, keys, merkle, note
from anzu.risk.models import LogEntry, SignedCheckpoint

MEMBERS = ("document.pdf", "event.json", "proof.json", "checkpoint", "vkey")


class BundleError(ValueError):
    """The bundle cannot be made (document not yet logged) or read."""


def make_bundle(document: Any) -> bytes:
    from anzu.documents.pki import identity_for
    from anzu.documents.services import document_content

    event = (
        AuditEvent.objects.filter(
            organization_id=document.organization_id,
            action="document.archive",
            object_type="documents.document",
            object_id=str(document.pk),
        )
        .values(*auditlog.EVENT_FIELDS)
        .first()
    )
    if event is None:
        raise BundleError("the document has no archive event")
    auditlog.integrate()
    entry = LogEntry.objects.filter(event_id=event["id"]).first()
    if entry is None:
        raise BundleError("the archive event is not in the log yet; try again shortly")
    latest = SignedCheckpoint.objects.order_by("-id").first()
    if latest is None or latest.size <= entry.index:
        latest = auditlog.checkpoint(force=True)
    assert latest is not None
    proof = auditlog.prove(index=entry.index, size=latest.size)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("document.pdf", document_content(document))
        zf.writestr("event.json", auditlog.canonical(event))
        zf.writestr("proof.json", json.dumps(proof))
        zf.writestr("checkpoint", latest.note)
        zf.writestr("vkey", keys.vkey() + "\n")
        if document.signed:
            org = Organization.objects.get(pk=document.organization_id)
            zf.writestr("root.pem", identity_for(org).root_cert_path.read_bytes())
    return buffer.getvalue()


@dataclass
class BundleCheck:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)


def _pdf_signature_ok(pdf: bytes, root_pem: bytes) -> bool:
    from anzu.documents.pdf import verify_pdf_against
    from anzu.documents.pki import root_from_pem

    try:
        root = root_from_pem(root_pem)
    except ValueError:  # a damaged certificate trusts nothing
        return False
    return verify_pdf_against(pdf, root=root).bottom_line


def verify_bundle(data: bytes) -> BundleCheck:
    check = BundleCheck()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                check.fail(f"missing from the bundle: {', '.join(missing)}")
                return check
            pdf = zf.read("document.pdf")
            event_bytes = zf.read("event.json")
            proof = json.loads(zf.read("proof.json"))
            checkpoint_text = zf.read("checkpoint").decode("utf-8")
            vkey_text = zf.read("vkey").decode("utf-8")
            root_pem = zf.read("root.pem") if "root.pem" in names else None
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, KeyError) as exc:
        check.fail(f"unreadable bundle: {exc}")
        return check
    digest = hashlib.sha256(pdf).hexdigest()
    try:
        event = json.loads(event_bytes)
        recorded = event["changes"]["sha256"][1]
    except (ValueError, KeyError, TypeError, IndexError):
        check.fail("event.json is not a document archive event")
        return check
    check.facts.update(
        {"sha256": digest, "event_id": event.get("id"), "action": event.get("action")}
    )
    if recorded != digest:
        check.fail("the document's SHA-256 differs from the one the audit event recorded")
    if auditlog.canonical(event) != event_bytes:
        check.fail("event.json is not in canonical form")
    try:
        cp = note.open_checkpoint(checkpoint_text, note.parse_verifier_key(vkey_text))
    except note.NoteError as exc:
        check.fail(f"checkpoint: {exc}")
        return check
    try:
        index, size = int(proof["index"]), int(proof["size"])
        path = [base64.b64decode(p) for p in proof["proof"]]
    except (KeyError, TypeError, ValueError):
        check.fail("proof.json is malformed")
        return check
    check.facts.update({"index": index, "size": size, "checkpoint_size": cp.size})
    if size != cp.size:
        check.fail("the proof is for another tree size than the checkpoint")
    elif not merkle.verify_inclusion(merkle.leaf_hash(event_bytes), index, size, path, cp.root):
        check.fail("the audit event is not included in the checkpointed log")
    if root_pem is not None:
        signed_ok = _pdf_signature_ok(pdf, root_pem)
        check.facts["pdf_signature"] = signed_ok
        if not signed_ok:
            check.fail("the PDF signature does not validate against the bundled root")
    return check
