"""The sandbox e-signature platform (沙箱): the embedded default; nothing leaves the machine.

It plays the platform's part on this machine: :meth:`SandboxEsignAdapter.create_flow` keeps the
document and the signer (name, kind — person or organization — and an organization's
transactor) under ``$ANZU_HOME/esign-sandbox/<flow id>/`` and sends the signer to the local
page ``agreements:sandbox_sign`` (clearly labelled 沙箱/Sandbox). Signing there adds a second
PAdES signature made with the **sandbox** certificate (its CA says "TEST CA — NOT FOR
PRODUCTION"), then builds the notification a real platform would send, signs it with the sandbox
HMAC key and hands it to the same callback handling as ``POST /api/v1/esign/callback/sandbox``.

Signature header: ``X-Anzu-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``<t>.<body>``, keyed with ``ANZU_ESIGN_SANDBOX_KEY`` (or a key derived from the secret key).
The flow id is derived from the idempotency key, so starting the same flow twice returns it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.urls import reverse

from anzu.common import clock
from anzu.integrations.base import PermanentError
from anzu.integrations.esign.base import (
    DECLINED,
    EXPIRED,
    IN_PROGRESS,
    ORGANIZATION,
    PERSON,
    REVOKED,
    SIGNED,
    CallbackEvent,
    EsignAdapter,
    FlowStart,
    FlowStatus,
    SignatureError,
    Signer,
    lower_headers,
)
from anzu.integrations.esign.config import EsignConfig

SIGNATURE_HEADER = "X-Anzu-Sandbox-Signature"
FLOW_PREFIX = "SANDBOX-"
SANDBOX_SIGNER_NAME = "安租电子签约沙箱 Sandbox"
TENANT_FIELD = "TenantSignature"
_FLOW_ID = re.compile(r"^SANDBOX-[0-9a-f]{32}$")


def sandbox_root() -> Path:
    return Path(settings.ANZU_HOME) / "esign-sandbox"


def sandbox_identity() -> tuple[Path, bytes, Path]:
    """The sandbox's PKCS#12, its password and its CA certificate (created on first use)."""
    from anzu.core.models import Organization
    from anzu.documents.pki import _create_test_identity

    folder = sandbox_root() / "pki"
    password = hashlib.sha256(f"anzu.esign.sandbox:{settings.SECRET_KEY}".encode()).hexdigest()
    secret = password[:32].encode("ascii")
    if not (folder / "signing.p12").exists():
        # An unsaved organization only names the certificates; nothing is written to the database.
        _create_test_identity(folder, Organization(name=SANDBOX_SIGNER_NAME), secret)
    return folder / "signing.p12", secret, folder / "root.pem"


def sandbox_sign_pdf(pdf: bytes, *, signer_name: str) -> bytes:
    """Add the tenant's (sandbox) PAdES signature after the signatures already in ``pdf``."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    p12, password, _root = sandbox_identity()
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=password)
    if signer is None:
        raise PermanentError("The sandbox signing key could not be loaded.", code="sandbox")
    meta = signers.PdfSignatureMetadata(
        field_name=TENANT_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"沙箱签署 Sandbox signature: {signer_name}",
        location="Anzu e-sign sandbox",
    )
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
    return out.getvalue()


class SandboxEsignAdapter(EsignAdapter):
    name: ClassVar[str] = "sandbox"
    sandbox: ClassVar[bool] = True

    def __init__(self, cfg: EsignConfig) -> None:
        self.cfg = cfg

    @property
    def key(self) -> bytes:
        if self.cfg.sandbox_key:
            return self.cfg.sandbox_key.encode("utf-8")
        return hashlib.sha256(f"anzu.esign.sandbox:{settings.SECRET_KEY}".encode()).digest()

    def signature(self, timestamp: int, body: bytes) -> str:
        message = str(timestamp).encode("ascii") + b"." + body
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    # Storage of the simulated platform -----------------------------------------------------

    @staticmethod
    def folder(flow_id: str) -> Path:
        if not _FLOW_ID.match(flow_id):
            raise PermanentError(f"Unknown sandbox flow {flow_id!r}.", code="unknown_flow")
        return sandbox_root() / flow_id

    def _meta(self, flow_id: str) -> dict[str, Any]:
        path = self.folder(flow_id) / "flow.json"
        if not path.exists():
            raise PermanentError(f"Unknown sandbox flow {flow_id!r}.", code="unknown_flow")
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}

    def _write(self, flow_id: str, name: str, content: bytes) -> None:
        folder = self.folder(flow_id)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(content)
        os.replace(tmp, folder / name)

    def _save_meta(self, flow_id: str, meta: dict[str, Any]) -> None:
        self._write(flow_id, "flow.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))

    def flow(self, flow_id: str) -> dict[str, Any]:
        """What the sandbox page shows: title, signer (name, kind, transactor), state."""
        meta = self._meta(flow_id)
        meta.setdefault("signer_kind", PERSON)  # flows started before signer kinds existed
        meta.setdefault("transactor_name", "")
        return meta

    def document(self, flow_id: str) -> bytes:
        self._meta(flow_id)
        return (self.folder(flow_id) / "document.pdf").read_bytes()

    # The contract --------------------------------------------------------------------------

    def create_flow(
        self,
        *,
        document: bytes,
        title: str,
        signer: Signer,
        callback_url: str,
        idempotency_key: str,
    ) -> FlowStart:
        flow_id = FLOW_PREFIX + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
        url = reverse("agreements:sandbox_sign", args=[flow_id])
        if (self.folder(flow_id) / "flow.json").exists():
            return FlowStart(flow_id=flow_id, signing_url=url)
        self._write(flow_id, "document.pdf", document)
        self._save_meta(
            flow_id,
            {
                "flow_id": flow_id,
                "title": title,
                "signer_name": signer.name,
                "signer_kind": signer.kind,
                "transactor_name": signer.transactor.name
                if signer.is_organization and signer.transactor is not None
                else "",
                "state": IN_PROGRESS,
                "created_at": clock.now().isoformat(),
            },
        )
        return FlowStart(flow_id=flow_id, signing_url=url)

    def get_status(self, flow_id: str) -> FlowStatus:
        """The flow's state; an unsigned flow expires ``sign_days`` after it was created."""
        meta = self._meta(flow_id)
        state = str(meta.get("state", IN_PROGRESS))
        if state == IN_PROGRESS:
            created = dt.datetime.fromisoformat(str(meta["created_at"]))
            if clock.now() - created > dt.timedelta(days=self.cfg.sign_days):
                meta.update(state=EXPIRED, expired_at=clock.now().isoformat())
                self._save_meta(flow_id, meta)
                state = EXPIRED
        return FlowStatus(flow_id=flow_id, state=state)

    def download_signed(self, flow_id: str) -> bytes:
        meta = self._meta(flow_id)
        path = self.folder(flow_id) / "signed.pdf"
        if meta.get("state") != SIGNED or not path.exists():
            raise PermanentError("The sandbox flow is not signed.", code="not_signed")
        return path.read_bytes()

    def revoke_flow(self, flow_id: str, *, reason: str) -> None:
        meta = self._meta(flow_id)
        if meta.get("state") == IN_PROGRESS:
            meta.update(state=REVOKED, revoked_reason=reason)
            self._save_meta(flow_id, meta)

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        header = lower_headers(headers).get(SIGNATURE_HEADER.lower(), "")
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError:
            raise SignatureError(
                "Sandbox notification without a signature.", code="signature"
            ) from None
        if not hmac.compare_digest(self.signature(timestamp, body), parts.get("v1", "")):
            raise SignatureError(
                "Sandbox notification signature does not verify.", code="signature"
            )
        if abs(clock.now().timestamp() - timestamp) > self.cfg.max_clock_skew:
            raise SignatureError("Sandbox notification timestamp is too old.", code="timestamp")
        try:
            data = json.loads(body)
            flow_id = str(data["flow_id"])
            state = str(data["state"])
            event_id = str(data["event_id"])
        except (ValueError, KeyError, TypeError):
            raise SignatureError("Sandbox notification body is malformed.", code="body") from None
        return CallbackEvent(
            flow_id=flow_id,
            state=state,
            event_id=event_id,
            action=str(data.get("action", "")),
            detail=str(data.get("detail", "")),
            occurred_at=str(data.get("occurred_at", "")),
            raw=data,
        )

    # The simulated signer ------------------------------------------------------------------

    def notification(
        self, flow_id: str, *, state: str, detail: str = ""
    ) -> tuple[dict[str, str], bytes]:
        """The headers and body of the notification the sandbox sends about ``flow_id``."""
        now = clock.now()
        data = {
            "action": "SANDBOX_FLOW_UPDATE",
            "flow_id": flow_id,
            "state": state,
            "event_id": f"{flow_id}:{state}",
            "detail": detail,
            "occurred_at": now.isoformat(),
        }
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: f"t={timestamp},v1={self.signature(timestamp, body)}",
        }
        return headers, body

    def simulate(self, flow_id: str, *, accept: bool) -> tuple[dict[str, str], bytes]:
        """The signer signs (``accept``) or declines: the flow's state changes and the
        notification to deliver is returned."""
        state = self.get_status(flow_id).state
        if state != IN_PROGRESS:
            return self.notification(flow_id, state=state)
        meta = self._meta(flow_id)
        if accept:
            name = str(meta.get("signer_name", ""))
            if meta.get("signer_kind") == ORGANIZATION and meta.get("transactor_name"):
                name = f"{name}（经办人 {meta['transactor_name']}）"
            signed = sandbox_sign_pdf(self.document(flow_id), signer_name=name)
            self._write(flow_id, "signed.pdf", signed)
            meta.update(state=SIGNED, signed_at=clock.now().isoformat())
        else:
            meta.update(state=DECLINED, declined_at=clock.now().isoformat())
        self._save_meta(flow_id, meta)
        return self.notification(
            flow_id, state=str(meta["state"]), detail="沙箱签署完成" if accept else "沙箱拒签"
        )
