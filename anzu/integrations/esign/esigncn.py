"""e签宝 (esign.cn) open API v3: one signer (the tenant) signs an organization-signed PDF.

Request signature (every call to the open API), as documented in "请求签名鉴权方式说明"
(https://open.esign.cn/doc/opendoc/saasapi-std/fsf57g and
https://open.esign.cn/doc/opendoc/paas_api/qudd9a)::

    Content-MD5 = Base64(MD5(body))                  (empty for a GET without a body)
    string      = METHOD \\n Accept \\n Content-MD5 \\n Content-Type \\n Date \\n path[?sorted query]
    signature   = Base64(HMAC-SHA256(app secret, string))
    headers     = X-Tsign-Open-App-Id, X-Tsign-Open-Auth-Mode: Signature,
                  X-Tsign-Open-Ca-Timestamp (Unix milliseconds), X-Tsign-Open-Ca-Signature,
                  Content-MD5, Content-Type, Accept

(``Date`` is left empty and no custom headers are signed, so that line is blank.)

Notifications ("签署回调通知接收说明", https://open.esign.cn/doc/opendoc/notify3/sblzg8, and
"通知安全机制", https://open.esign.cn/doc/opendoc/paas_api/zv1ue1mcb7hm012m) carry
``X-Tsign-Open-TIMESTAMP`` (milliseconds) and ``X-Tsign-Open-SIGNATURE`` = hex HMAC-SHA256 with
the app secret over ``timestamp + query values sorted by name + body``; the callback URL Anzu
registers has no query, so the message is ``timestamp + body``.

A flow is started in four calls: ``POST /v3/files/file-upload-url`` (file id and upload URL),
``PUT`` of the bytes to that URL, ``POST /v3/sign-flow/create-by-file`` (one signer, free
placement of the signature, ``autoFinish``) and ``POST /v3/sign-flow/{id}/sign-url``.

The signer is a person (``signerType`` 0, ``psnSignerInfo``: account = mobile, name, ID number
and type) or, for a company tenant, an organization (``signerType`` 1, ``orgSignerInfo``:
``orgName``, ``orgInfo.orgIDCardNum`` = unified social credit code with ``orgIDCardType``
``CRED_ORG_USCC``, and ``transactorInfo`` = the transactor 经办人's mobile as ``psnAccount`` and
name as ``psnInfo.psnName``), as in "基于文件发起签署" of the v3 API. The signing URL of an
organization is asked for its transactor (``operator.psnAccount``) acting for
``organization.orgName``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

from anzu.common import clock
from anzu.integrations.base import PermanentError, RetryableError, http_call, json_of
from anzu.integrations.esign.base import (
    DECLINED,
    EXPIRED,
    IN_PROGRESS,
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

if TYPE_CHECKING:
    import httpx

ACCEPT = "*/*"
JSON_TYPE = "application/json; charset=UTF-8"
PDF_TYPE = "application/pdf"
# signFlowStatus of /v3/sign-flow/{id}/detail and of SIGN_FLOW_COMPLETE notifications.
FLOW_STATUS = {
    "0": IN_PROGRESS,  # draft
    "1": IN_PROGRESS,
    "2": SIGNED,
    "3": REVOKED,
    "5": EXPIRED,
    "7": DECLINED,
}
# Anzu's ID types → e签宝's personal credential types.
ID_TYPES = {
    "resident_id": "CRED_PSN_CH_IDCARD",
    "passport": "CRED_PSN_PASSPORT",
    "hk_macau_permit": "CRED_PSN_CH_HONGKONG",
    "taiwan_permit": "CRED_PSN_CH_TWCARD",
    "foreign_pr": "CRED_PSN_FOREIGNER",
}
# A company's unified social credit code (统一社会信用代码).
ORG_ID_TYPE = "CRED_ORG_USCC"


def signer_body(signer: Signer, *, file_id: str) -> dict[str, Any]:
    """One entry of ``signers`` of ``/v3/sign-flow/create-by-file``.

    A person signs as ``signerType`` 0 with ``psnSignerInfo``; an organization as ``signerType``
    1 with ``orgSignerInfo`` (name, credit code as ``CRED_ORG_USCC``, and the transactor 经办人
    whose mobile is the account that signs for it).
    """
    fields = [
        {
            "fileId": file_id,
            "normalSignFieldConfig": {"freeMode": True, "signFieldStyle": 1},
        }
    ]
    if signer.is_organization:
        if signer.transactor is None or signer.id_type != "uscc":
            raise PermanentError(
                "e签宝: an organization signs with its credit code and a transactor.",
                code="signer",
            )
        return {
            "signerType": 1,
            "orgSignerInfo": {
                "orgName": signer.name,
                "orgInfo": {"orgIDCardNum": signer.id_number, "orgIDCardType": ORG_ID_TYPE},
                "transactorInfo": {
                    "psnAccount": signer.transactor.phone,
                    "psnInfo": {"psnName": signer.transactor.name},
                },
            },
            "signFields": fields,
        }
    return {
        "signerType": 0,
        "psnSignerInfo": {
            "psnAccount": signer.phone,
            "psnInfo": {
                "psnName": signer.name,
                "psnIDCardNum": signer.id_number,
                "psnIDCardType": ID_TYPES.get(signer.id_type, "CRED_PSN_CH_IDCARD"),
            },
        },
        "signFields": fields,
    }


def sign_url_body(signer: Signer) -> dict[str, Any]:
    """The body of ``/v3/sign-flow/{id}/sign-url``: who operates, and for which organization."""
    body: dict[str, Any] = {"operator": {"psnAccount": signer.account}}
    if signer.is_organization:
        body["organization"] = {"orgName": signer.name}
    return body


def content_md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode("ascii")


def canonical_url(path_with_query: str) -> str:
    """The path, with the query parameters sorted by name (as the gateway signs them)."""
    parts = urlsplit(path_with_query)
    if not parts.query:
        return parts.path
    pairs = sorted(item.partition("=")[::2] for item in parts.query.split("&") if item)
    query = "&".join(f"{name}={value}" if value else name for name, value in pairs)
    return f"{parts.path}?{query}"


def string_to_sign(
    *, method: str, accept: str, md5: str, content_type: str, path_with_query: str, date: str = ""
) -> str:
    return (
        f"{method.upper()}\n{accept}\n{md5}\n{content_type}\n{date}\n"
        f"{canonical_url(path_with_query)}"
    )


def request_signature(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode("utf-8") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class EsignCnAdapter(EsignAdapter):
    name: ClassVar[str] = "esign_cn"

    def __init__(self, cfg: EsignConfig) -> None:
        self.cfg = cfg

    # HTTP ----------------------------------------------------------------------------------

    def signed_headers(self, method: str, path_with_query: str, body: bytes) -> dict[str, str]:
        md5 = content_md5(body) if body else ""
        message = string_to_sign(
            method=method,
            accept=ACCEPT,
            md5=md5,
            content_type=JSON_TYPE,
            path_with_query=path_with_query,
        )
        headers = {
            "X-Tsign-Open-App-Id": self.cfg.esign_app_id,
            "X-Tsign-Open-Auth-Mode": "Signature",
            "X-Tsign-Open-Ca-Timestamp": str(int(clock.now().timestamp() * 1000)),
            "X-Tsign-Open-Ca-Signature": request_signature(self.cfg.esign_app_secret, message),
            "Accept": ACCEPT,
            "Content-Type": JSON_TYPE,
            "User-Agent": "anzu-esign/1",
        }
        if md5:
            headers["Content-MD5"] = md5
        return headers

    def _call(
        self, method: str, path_with_query: str, payload: dict[str, Any] | None, *, what: str
    ) -> dict[str, Any]:
        body = (
            b""
            if payload is None
            else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        )
        response = http_call(
            method,
            f"{self.cfg.esign_api_base}{path_with_query}",
            headers=self.signed_headers(method, path_with_query, body),
            content=body or None,
            timeout=self.cfg.http_timeout_seconds,
            what=what,
        )
        return self._answer(response, what=what)

    @staticmethod
    def _answer(response: httpx.Response, *, what: str) -> dict[str, Any]:
        data = json_of(response, what=what)
        code = data.get("code")
        if response.status_code >= 400 or code not in (0, "0"):
            text = f"{what}: {data.get('message', '')} (HTTP {response.status_code}, code {code})"
            raise PermanentError(text, code=str(code if code is not None else response.status_code))
        result = data.get("data")
        return result if isinstance(result, dict) else {}

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
        file_name = f"{idempotency_key}.pdf"
        md5 = content_md5(document)
        upload = self._call(
            "POST",
            "/v3/files/file-upload-url",
            {
                "contentMd5": md5,
                "contentType": PDF_TYPE,
                "convertToPDF": False,
                "fileName": file_name,
                "fileSize": len(document),
            },
            what="e签宝 file upload URL",
        )
        file_id = str(upload.get("fileId") or "")
        upload_url = str(upload.get("fileUploadUrl") or "")
        if not file_id or not upload_url:
            raise RetryableError("e签宝 file upload URL: incomplete answer", code="bad_response")
        put = http_call(
            "PUT",
            upload_url,
            headers={"Content-Type": PDF_TYPE, "Content-MD5": md5},
            content=document,
            timeout=self.cfg.http_timeout_seconds,
            what="e签宝 file upload",
        )
        if put.status_code >= 400:
            raise PermanentError(f"e签宝 file upload: HTTP {put.status_code}", code="upload")
        flow_config: dict[str, Any] = {
            "signFlowTitle": title[:50],
            "autoFinish": True,
            "notifyUrl": callback_url or self.cfg.esign_callback_url,
            "signFlowExpireTime": int(
                (clock.now().timestamp() + self.cfg.sign_days * 86400) * 1000
            ),
        }
        if self.cfg.esign_redirect_url:
            flow_config["redirectConfig"] = {"redirectUrl": self.cfg.esign_redirect_url}
        created = self._call(
            "POST",
            "/v3/sign-flow/create-by-file",
            {
                "docs": [{"fileId": file_id, "fileName": file_name}],
                "signFlowConfig": flow_config,
                "customBizNum": idempotency_key,
                "signers": [signer_body(signer, file_id=file_id)],
            },
            what="e签宝 create flow",
        )
        flow_id = str(created.get("signFlowId") or "")
        if not flow_id:
            raise RetryableError("e签宝 create flow: no signFlowId", code="bad_response")
        url = self._call(
            "POST",
            f"/v3/sign-flow/{quote(flow_id, safe='')}/sign-url",
            sign_url_body(signer),
            what="e签宝 signing URL",
        )
        signing_url = str(url.get("url") or url.get("shortUrl") or "")
        if not signing_url:
            raise RetryableError("e签宝 signing URL: no url", code="bad_response")
        return FlowStart(flow_id=flow_id, signing_url=signing_url)

    def get_status(self, flow_id: str) -> FlowStatus:
        data = self._call(
            "GET", f"/v3/sign-flow/{quote(flow_id, safe='')}/detail", None, what="e签宝 flow"
        )
        raw = str(data.get("signFlowStatus", ""))
        if raw not in FLOW_STATUS:
            raise RetryableError(f"e签宝 flow: unknown status {raw!r}", code="bad_response")
        return FlowStatus(
            flow_id=flow_id,
            state=FLOW_STATUS[raw],
            detail=str(data.get("signFlowDescription") or ""),
        )

    def download_signed(self, flow_id: str) -> bytes:
        data = self._call(
            "GET",
            f"/v3/sign-flow/{quote(flow_id, safe='')}/file-download-url",
            None,
            what="e签宝 signed file",
        )
        files = data.get("files") or []
        url = str(files[0].get("downloadUrl") or "") if files and isinstance(files[0], dict) else ""
        if not url:
            raise RetryableError("e签宝 signed file: no download URL", code="bad_response")
        response = http_call(
            "GET", url, timeout=self.cfg.http_timeout_seconds, what="e签宝 signed file download"
        )
        if response.status_code >= 400 or not response.content.startswith(b"%PDF"):
            raise PermanentError(
                f"e签宝 signed file download: HTTP {response.status_code}, not a PDF",
                code="download",
            )
        return response.content

    def revoke_flow(self, flow_id: str, *, reason: str) -> None:
        self._call(
            "POST",
            f"/v3/sign-flow/{quote(flow_id, safe='')}/revoke",
            {"revokeReason": reason[:50] or "撤销"},
            what="e签宝 revoke flow",
        )

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        h = lower_headers(headers)
        timestamp = h.get("x-tsign-open-timestamp", "")
        signature = h.get("x-tsign-open-signature", "")
        if not timestamp or not signature:
            raise SignatureError("e签宝 notification: not signed.", code="signature")
        expected = callback_signature(self.cfg.esign_app_secret, timestamp, body)
        if not hmac.compare_digest(expected, signature.strip().lower()):
            raise SignatureError("e签宝 notification: signature does not verify.", code="signature")
        try:
            skew = abs(clock.now().timestamp() - int(timestamp) / 1000)
        except ValueError:
            raise SignatureError("e签宝 notification: bad timestamp.", code="timestamp") from None
        if skew > self.cfg.max_clock_skew:
            raise SignatureError(
                "e签宝 notification: timestamp outside the allowed window.", code="timestamp"
            )
        try:
            data = json.loads(body)
            action = str(data["action"])
            flow_id = str(data.get("signFlowId") or data.get("flowId") or "")
        except (ValueError, KeyError, TypeError):
            raise SignatureError("e签宝 notification: malformed body.", code="body") from None
        if not isinstance(data, dict) or not flow_id:
            raise SignatureError("e签宝 notification: no flow id.", code="body")
        state = IN_PROGRESS
        if action == "SIGN_FLOW_COMPLETE":
            state = FLOW_STATUS.get(str(data.get("signFlowStatus", "")), IN_PROGRESS)
        elif action == "SIGN_MISSON_COMPLETE" and str(data.get("signResult", "")) == "4":
            state = DECLINED
        return CallbackEvent(
            flow_id=flow_id,
            state=state,
            event_id=f"{action}:{flow_id}:{data.get('timestamp', timestamp)}",
            action=action,
            detail=str(data.get("resultDescription") or data.get("statusDescription") or ""),
            occurred_at=str(data.get("operateTime") or data.get("timestamp") or ""),
            raw=data,
        )
