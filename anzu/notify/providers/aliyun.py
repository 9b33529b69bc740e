"""Aliyun SMS (Dysmsapi ``SendSms``, API version 2017-05-25) with the RPC signature (v1.0).

Signing: sort all parameters except ``Signature`` by name, percent-encode names and values
(RFC 3986: unreserved ``A-Z a-z 0-9 - _ . ~`` kept, everything else ``%XX`` in UTF-8, space as
``%20``), join as ``k=v&…``; the string to sign is ``METHOD&%2F&`` + percent-encode(that);
the signature is Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

``OutId`` carries the message's idempotency key; Aliyun returns it in delivery receipts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from anzu.common import clock
from anzu.integrations.base import PermanentError, RetryableError, http_call, json_of
from anzu.notify.config import NotifyConfig
from anzu.notify.providers.base import ChannelProvider

if TYPE_CHECKING:
    from anzu.notify.models import OutboxMessage

API_VERSION = "2017-05-25"

# Error codes worth trying again later; anything else is permanent for this message.
RETRYABLE_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isv.OUT_OF_SERVICE",
        "isv.AMOUNT_NOT_ENOUGH",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
    }
)


def percent_encode(value: str) -> str:
    return quote(str(value), safe="-_.~")


def string_to_sign(params: Mapping[str, str], method: str = "POST") -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def rpc_signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunSmsProvider(ChannelProvider):
    name: ClassVar[str] = "aliyun"

    def __init__(self, cfg: NotifyConfig) -> None:
        self.cfg = cfg

    def params_for(self, message: OutboxMessage) -> dict[str, str]:
        return {
            "AccessKeyId": self.cfg.aliyun_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.cfg.aliyun_region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": clock.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "PhoneNumbers": message.address,
            "SignName": self.cfg.aliyun_sign_name,
            "TemplateCode": message.provider_template_id,
            "TemplateParam": json.dumps(
                dict(message.provider_params), ensure_ascii=False, separators=(",", ":")
            ),
            "OutId": message.provider_key,
        }

    def send(self, message: OutboxMessage) -> str:
        if not message.address:
            raise PermanentError("No phone number.", code="no_address")
        if not message.provider_template_id:
            raise PermanentError(
                "Aliyun SMS needs the approved template code (TemplateCode).", code="no_template"
            )
        params = self.params_for(message)
        params["Signature"] = rpc_signature(params, self.cfg.aliyun_access_key_secret, "POST")
        response = http_call(
            "POST",
            f"{self.cfg.aliyun_endpoint}/",
            data=params,
            timeout=self.cfg.http_timeout_seconds,
            what="Aliyun SendSms",
        )
        data = json_of(response, what="Aliyun SendSms")
        code = str(data.get("Code", ""))
        if code == "OK":
            return str(data.get("BizId") or data.get("RequestId") or "")
        text = f"Aliyun SendSms: {data.get('Message', '')} (HTTP {response.status_code})"
        if code in RETRYABLE_CODES:
            raise RetryableError(text, code=code)
        raise PermanentError(text, code=code or f"http_{response.status_code}")
