"""Tencent Cloud SMS (``SendSms``, API version 2021-01-11) signed with TC3-HMAC-SHA256.

Signing (Tencent Cloud API signature v3):

1. canonical request = ``POST\\n/\\n\\n`` + ``content-type:application/json; charset=utf-8\\n``
   + ``host:<host>\\n`` + ``\\ncontent-type;host\\n`` + hex(SHA256(body));
2. string to sign = ``TC3-HMAC-SHA256\\n<timestamp>\\n<date>/<service>/tc3_request\\n``
   + hex(SHA256(canonical request)), the date being the UTC date of the timestamp;
3. key = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request");
   signature = hex(HMAC-SHA256(key, string to sign)).

``SessionContext`` carries the message's idempotency key; Tencent echoes it in receipts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from anzu.common import clock
from anzu.integrations.base import PermanentError, RetryableError, http_call, json_of
from anzu.notify.config import NotifyConfig
from anzu.notify.providers.base import ChannelProvider

if TYPE_CHECKING:
    from anzu.notify.models import OutboxMessage

SERVICE = "sms"
ACTION = "SendSms"
API_VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"

RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded", "ResourceUnavailable")
RETRYABLE_CODES = frozenset(
    {"LimitExceeded.DeliveryFrequencyLimit", "FailedOperation.InsufficientBalanceInSmsPackage"}
)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def canonical_request(*, host: str, payload: bytes, content_type: str = CONTENT_TYPE) -> str:
    return (
        "POST\n/\n\n"
        f"content-type:{content_type}\nhost:{host}\n\n"
        f"{SIGNED_HEADERS}\n{hashlib.sha256(payload).hexdigest()}"
    )


def tc3_signature(*, secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    date = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
        f"{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(
    *, secret_id: str, secret_key: str, timestamp: int, service: str, host: str, payload: bytes
) -> str:
    date = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d")
    signature = tc3_signature(
        secret_key=secret_key,
        timestamp=timestamp,
        service=service,
        canonical=canonical_request(host=host, payload=payload),
    )
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )


def e164(phone: str) -> str:
    """Mainland mobile numbers get +86; numbers already in +CC form are kept."""
    number = "".join(phone.split()).replace("-", "")
    if number.startswith("+"):
        return number
    if number.startswith("0086"):
        return "+" + number[2:]
    return "+86" + number


def _retryable(code: str) -> bool:
    return code in RETRYABLE_CODES or code.startswith(RETRYABLE_PREFIXES)


class TencentSmsProvider(ChannelProvider):
    name: ClassVar[str] = "tencent"

    def __init__(self, cfg: NotifyConfig) -> None:
        self.cfg = cfg

    def body_for(self, message: OutboxMessage) -> dict[str, object]:
        return {
            "PhoneNumberSet": [e164(message.address)],
            "SmsSdkAppId": self.cfg.tencent_sms_app_id,
            "SignName": self.cfg.tencent_sign_name,
            "TemplateId": message.provider_template_id,
            "TemplateParamSet": [value for _name, value in message.provider_params],
            "SessionContext": message.provider_key,
        }

    def send(self, message: OutboxMessage) -> str:
        if not message.address:
            raise PermanentError("No phone number.", code="no_address")
        if not message.provider_template_id:
            raise PermanentError("Tencent SMS needs the approved TemplateId.", code="no_template")
        payload = json.dumps(self.body_for(message), ensure_ascii=False).encode("utf-8")
        host = urlsplit(self.cfg.tencent_endpoint).netloc
        timestamp = int(clock.now().timestamp())
        headers = {
            "Authorization": authorization(
                secret_id=self.cfg.tencent_secret_id,
                secret_key=self.cfg.tencent_secret_key,
                timestamp=timestamp,
                service=SERVICE,
                host=host,
                payload=payload,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": API_VERSION,
            "X-TC-Region": self.cfg.tencent_region,
        }
        response = http_call(
            "POST",
            f"{self.cfg.tencent_endpoint}/",
            content=payload,
            headers=headers,
            timeout=self.cfg.http_timeout_seconds,
            what="Tencent SendSms",
        )
        data = json_of(response, what="Tencent SendSms").get("Response") or {}
        error = data.get("Error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code = str(error.get("Code", ""))
            text = f"Tencent SendSms: {error.get('Message', '')}"
            if _retryable(code):
                raise RetryableError(text, code=code)
            raise PermanentError(text, code=code)
        statuses = data.get("SendStatusSet") if isinstance(data, dict) else None
        if not statuses or not isinstance(statuses, list):
            raise RetryableError(
                "Tencent SendSms: no SendStatusSet in the answer", code="bad_response"
            )
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code == "Ok":
            return str(status.get("SerialNo") or data.get("RequestId") or "")
        text = f"Tencent SendSms: {status.get('Message', '')}"
        if _retryable(code):
            raise RetryableError(text, code=code)
        raise PermanentError(text, code=code)
