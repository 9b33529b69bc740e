"""``anzu audit``: integrate, checkpoint, export, verify and prove the tamper-evident audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anzu.risk import auditlog
from anzu.risk.export import export, verify_dir


class Command(BaseCommand):
    help = "Verifiable audit log (RFC 9162 Merkle tree with signed checkpoints)."
    # An auditor's tool: the system checks would import every URL and API module first
    # (seconds of start-up) and check nothing the log depends on.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "integrate", help="Append finished audit events and sign a checkpoint if due."
        )
        sub.add_parser("checkpoint", help="Integrate and sign a checkpoint now.")
        p_export = sub.add_parser(
            "export", help="Write entries.jsonl, checkpoint, checkpoints.jsonl, vkey."
        )
        p_export.add_argument("--out", required=True)
        p_verify = sub.add_parser("verify", help="Verify an export DIR, or the live database.")
        p_verify.add_argument("dir", nargs="?")
        p_verify.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            help="A checkpoint file kept elsewhere that the log must still match (repeatable).",
        )
        p_prove = sub.add_parser(
            "prove", help="Inclusion proof of entry INDEX in the tree of SIZE."
        )
        p_prove.add_argument("--index", type=int, required=True)
        p_prove.add_argument("--size", type=int)
        p_bundle = sub.add_parser("bundle", help="Evidence bundle (zip) for an archived document.")
        p_bundle.add_argument("--document", type=int, required=True)
        p_bundle.add_argument("--out", required=True)
        p_vb = sub.add_parser("verify-bundle", help="Check an evidence bundle offline.")
        p_vb.add_argument("file")
        p_cons = sub.add_parser("consistency", help="Consistency proof between two tree sizes.")
        p_cons.add_argument("--from", dest="old", type=int, required=True)
        p_cons.add_argument("--to", dest="new", type=int, required=True)

    def _print(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "integrate":
            appended = auditlog.integrate()
            cp = auditlog.checkpoint()
            self._print({"appended": appended, "checkpoint": cp.size if cp else None})
        elif action == "checkpoint":
            appended = auditlog.integrate()
            cp = auditlog.checkpoint(force=True)
            size, _root = auditlog.current_root()
            self._print({"appended": appended, "size": size, "signed": cp is not None})
        elif action == "export":
            auditlog.integrate()
            auditlog.checkpoint(force=True)
            self._print(export(Path(options["out"])))
        elif action == "verify":
            extra = []
            for path in options["checkpoint"]:
                try:
                    extra.append(Path(path).read_text(encoding="utf-8"))
                except OSError as exc:
                    raise CommandError(f"--checkpoint {path}: {exc}") from None
            if options["dir"]:
                report = verify_dir(Path(options["dir"]), external_notes=extra)
            else:
                auditlog.integrate()
                report = auditlog.verify_database(external_notes=extra)
            self._print(report.as_dict())
            if not report.ok:
                if report.first_bad_index is not None:
                    self.stderr.write(f"first bad index: {report.first_bad_index}")
                raise SystemExit(1)
        elif action == "prove":
            try:
                self._print(auditlog.prove(index=options["index"], size=options["size"]))
            except auditlog.ProofError as exc:
                raise CommandError(str(exc)) from None
        elif action == "bundle":
            from anzu.documents.models import Document
            from anzu.risk.bundle import BundleError, make_bundle

            try:
                doc = Document.objects.get(pk=options["document"])
                Path(options["out"]).write_bytes(make_bundle(doc))
            except Document.DoesNotExist:
                raise CommandError(f"no document {options['document']}") from None
            except BundleError as exc:
                raise CommandError(str(exc)) from None
            self._print({"document": doc.pk, "out": options["out"]})
        elif action == "verify-bundle":
            from anzu.risk.bundle import verify_bundle

            try:
                data = Path(options["file"]).read_bytes()
            except OSError as exc:
                raise CommandError(str(exc)) from None
            check = verify_bundle(data)
            self._print({"ok": check.ok, "problems": check.problems, **check.facts})
            if not check.ok:
                raise SystemExit(1)
        elif action == "consistency":
            try:
                self._print(auditlog.consistency(old_size=options["old"], new_size=options["new"]))
            except auditlog.ProofError as exc:
                raise CommandError(str(exc)) from None
