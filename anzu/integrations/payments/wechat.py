"""WeChat Pay API v3 (微信支付 APIv3), direct merchant: Native or H5 orders.

Request signature (every call to the API)::

    message   = METHOD \\n URL path with query \\n timestamp \\n nonce_str \\n body \\n
    signature = Base64(RSA-SHA256 PKCS#1 v1.5 with the merchant private key (apiclient_key.pem))
    Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
                   timestamp="…",serial_no="<merchant certificate serial>"

Answers and notifications are signed by WeChat Pay: ``Wechatpay-Signature`` is Base64
RSA-SHA256 over ``Wechatpay-Timestamp \\n Wechatpay-Nonce \\n body \\n``, verified with the platform
public key (or the platform certificate's key); ``Wechatpay-Serial`` names the key. A notification
carries the transaction encrypted as ``resource`` (``AEAD_AES_256_GCM``: key = the 32-byte APIv3
key, nonce and associated data from the resource, ciphertext Base64 with the 16-byte tag at the
end). Amounts are integers in fen (分).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from anzu.common import clock
from anzu.integrations.base import PermanentError, RetryableError, http_call, json_of
from anzu.integrations.payments.base import (
    CallbackResult,
    OrderStart,
    PaymentProvider,
    SignatureError,
    lower_headers,
)
from anzu.integrations.payments.config import PaymentConfig

if TYPE_CHECKING:
    import httpx

    from anzu.portal.models import PaymentOrder

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
FEN = Decimal("100")
# Error codes of the API worth trying again later.
RETRYABLE_CODES = frozenset({"SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR"})


# Signatures and encryption -------------------------------------------------------------------


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PermanentError("The merchant key is not an RSA key.", code="config")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """The platform public key, from a public-key PEM or a platform certificate PEM."""
    data = pem.encode("ascii")
    key: Any
    if b"-----BEGIN CERTIFICATE" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise PermanentError("The platform key is not an RSA key.", code="config")
    return key


def request_message(method: str, url_path: str, timestamp: int, nonce: str, body: str) -> str:
    return f"{method.upper()}\n{url_path}\n{timestamp}\n{nonce}\n{body}\n"


def rsa_sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    signature = private_key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def authorization(
    *,
    mchid: str,
    serial_no: str,
    private_key: rsa.RSAPrivateKey,
    method: str,
    url_path: str,
    body: str,
    timestamp: int,
    nonce: str,
) -> str:
    signature = rsa_sign(private_key, request_message(method, url_path, timestamp, nonce, body))
    return (
        f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of an ``Authorization`` header built by :func:`authorization`."""
    schema, _, rest = header.partition(" ")
    if schema != SCHEMA:
        return {}
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, _, value = item.partition("=")
        fields[name.strip()] = value.strip().strip('"')
    return fields


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode("utf-8") + b"\n" + nonce.encode("utf-8") + b"\n" + body + b"\n"


def decrypt_resource(resource: Mapping[str, Any], apiv3_key: str) -> bytes:
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise SignatureError("Unknown resource algorithm.", code="algorithm")
    try:
        ciphertext = base64.b64decode(str(resource["ciphertext"]), validate=True)
        nonce = str(resource["nonce"]).encode("utf-8")
        associated = str(resource.get("associated_data") or "").encode("utf-8")
        return AESGCM(apiv3_key.encode("utf-8")).decrypt(nonce, ciphertext, associated)
    except (KeyError, binascii.Error, ValueError, InvalidTag):
        raise SignatureError(
            "The notification resource does not decrypt.", code="decrypt"
        ) from None


def encrypt_resource(plaintext: bytes, apiv3_key: str, *, nonce: str, associated_data: str) -> str:
    """The inverse of :func:`decrypt_resource` (what WeChat Pay does; used by tests and tools)."""
    data = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8")
    )
    return base64.b64encode(data).decode("ascii")


def to_fen(amount: Decimal) -> int:
    return int((amount * FEN).to_integral_value())


def from_fen(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amount.total is not an integer")
    return (Decimal(value) / FEN).quantize(Decimal("0.01"))


def rfc3339(value: dt.datetime) -> str:
    return clock.local(value).isoformat(timespec="seconds")


# The adapter ---------------------------------------------------------------------------------


class WechatPayProvider(PaymentProvider):
    name: ClassVar[str] = "wechat_pay"
    channel: ClassVar[str] = "wechat_pay"

    def __init__(self, cfg: PaymentConfig) -> None:
        self.cfg = cfg

    def _private_key(self) -> rsa.RSAPrivateKey:
        return load_private_key(self.cfg.wechat_private_key_pem)

    def _platform_key(self) -> rsa.RSAPublicKey:
        return load_public_key(self.cfg.wechat_platform_public_key_pem)

    def _check_signed(self, headers: Mapping[str, str], body: bytes, *, what: str) -> None:
        """Verify WeChat Pay's signature on an answer or notification; raise SignatureError."""
        h = lower_headers(headers)
        timestamp = h.get("wechatpay-timestamp", "")
        nonce = h.get("wechatpay-nonce", "")
        signature = h.get("wechatpay-signature", "")
        serial = h.get("wechatpay-serial", "")
        if not (timestamp and nonce and signature):
            raise SignatureError(f"{what}: not signed by WeChat Pay.", code="signature")
        if self.cfg.wechat_platform_serial and serial != self.cfg.wechat_platform_serial:
            raise SignatureError(f"{what}: unknown platform key {serial!r}.", code="serial")
        try:
            skew = abs(clock.now().timestamp() - int(timestamp))
        except ValueError:
            raise SignatureError(f"{what}: bad timestamp.", code="timestamp") from None
        if skew > self.cfg.wechat_max_clock_skew:
            raise SignatureError(f"{what}: timestamp outside the allowed window.", code="timestamp")
        if not rsa_verify(
            self._platform_key(), response_message(timestamp, nonce, body), signature
        ):
            raise SignatureError(f"{what}: signature does not verify.", code="signature")

    def _call(
        self, method: str, url_path: str, payload: dict[str, Any] | None, *, what: str
    ) -> httpx.Response:
        body = (
            ""
            if payload is None
            else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        )
        headers = {
            "Authorization": authorization(
                mchid=self.cfg.wechat_mchid,
                serial_no=self.cfg.wechat_serial_no,
                private_key=self._private_key(),
                method=method,
                url_path=url_path,
                body=body,
                timestamp=int(clock.now().timestamp()),
                nonce=secrets.token_hex(16),
            ),
            "Accept": "application/json",
            "User-Agent": "anzu-payments/1",
        }
        kwargs: dict[str, Any] = {}
        if payload is not None:
            headers["Content-Type"] = "application/json"
            kwargs["content"] = body.encode("utf-8")
        return http_call(
            method,
            f"{self.cfg.wechat_api_base}{url_path}",
            headers=headers,
            timeout=self.cfg.http_timeout_seconds,
            what=what,
            **kwargs,
        )

    def _answer(self, response: httpx.Response, *, what: str) -> dict[str, Any]:
        data = json_of(response, what=what)
        if response.status_code >= 400:
            code = str(data.get("code") or f"http_{response.status_code}")
            text = f"{what}: {data.get('message', '')} (HTTP {response.status_code})"
            if code in RETRYABLE_CODES:
                raise RetryableError(text, code=code)
            raise PermanentError(text, code=code)
        self._check_signed(response.headers, response.content, what=what)
        return data

    def order_body(self, order: PaymentOrder) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appid": self.cfg.wechat_appid,
            "mchid": self.cfg.wechat_mchid,
            "description": self.cfg.wechat_description,
            "out_trade_no": order.out_trade_no,
            "notify_url": self.cfg.wechat_notify_url,
            "amount": {"total": to_fen(order.amount), "currency": "CNY"},
        }
        if order.expires_at is not None:
            body["time_expire"] = rfc3339(order.expires_at)
        if self.cfg.wechat_trade_type == "h5":
            body["scene_info"] = {
                "payer_client_ip": order.client_ip or "127.0.0.1",
                "h5_info": {"type": "Wap"},
            }
        return body

    def create_order(self, order: PaymentOrder) -> OrderStart:
        h5 = self.cfg.wechat_trade_type == "h5"
        path = "/v3/pay/transactions/h5" if h5 else "/v3/pay/transactions/native"
        what = "WeChat Pay order"
        data = self._answer(self._call("POST", path, self.order_body(order), what=what), what=what)
        if h5:
            url = data.get("h5_url")
            if not url:
                raise RetryableError(f"{what}: no h5_url in the answer", code="bad_response")
            return OrderStart("redirect", str(url))
        code_url = data.get("code_url")
        if not code_url:
            raise RetryableError(f"{what}: no code_url in the answer", code="bad_response")
        return OrderStart("qr", str(code_url))

    def _transaction(self, data: Mapping[str, Any]) -> CallbackResult:
        try:
            amount = from_fen((data.get("amount") or {}).get("total"))
            paid_at = (
                dt.datetime.fromisoformat(str(data["success_time"]))
                if data.get("success_time")
                else None
            )
            return CallbackResult(
                out_trade_no=str(data["out_trade_no"]),
                trade_state=str(data["trade_state"]),
                transaction_id=str(data.get("transaction_id") or ""),
                amount=amount,
                paid_at=paid_at,
                raw=dict(data),
            )
        except (KeyError, ValueError, TypeError, AttributeError):
            raise SignatureError("The transaction is malformed.", code="body") from None

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackResult:
        self._check_signed(headers, body, what="WeChat Pay notification")
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
        except (ValueError, KeyError, TypeError):
            raise SignatureError("The notification is malformed.", code="body") from None
        try:
            transaction = json.loads(decrypt_resource(resource, self.cfg.wechat_apiv3_key))
        except ValueError:
            raise SignatureError("The decrypted resource is not JSON.", code="body") from None
        if not isinstance(transaction, dict):
            raise SignatureError("The decrypted resource is not an object.", code="body")
        if transaction.get("mchid") not in (None, self.cfg.wechat_mchid):
            raise SignatureError("The notification is for another merchant.", code="mchid")
        return self._transaction(transaction)

    def query_order(self, order: PaymentOrder) -> CallbackResult:
        path = (
            f"/v3/pay/transactions/out-trade-no/{quote(order.out_trade_no, safe='')}"
            f"?mchid={quote(self.cfg.wechat_mchid, safe='')}"
        )
        what = "WeChat Pay query"
        return self._transaction(self._answer(self._call("GET", path, None, what=what), what=what))
