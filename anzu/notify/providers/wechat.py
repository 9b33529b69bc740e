"""WeChat Official Account template messages (``/cgi-bin/message/template/send``).

The access token comes from ``/cgi-bin/token`` (``grant_type=client_credential``) and is kept in
Django's cache until shortly before it expires. When WeChat answers 40001 (invalid or not the
latest token), 40014 (invalid token) or 42001 (expired), the cached token is dropped, a new one
fetched and the send tried once more.

``client_msg_id`` carries the message's idempotency key: WeChat refuses a second template
message with the same id, which makes a resend after a lost answer harmless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.core.cache import cache

from anzu.common import clock
from anzu.integrations.base import PermanentError, RetryableError, http_call, json_of
from anzu.notify.config import NotifyConfig
from anzu.notify.providers.base import ChannelProvider

if TYPE_CHECKING:
    from anzu.notify.models import OutboxMessage

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Busy, quota reached, too frequent: try later. Others (bad openid, template, unsubscribed
# user) will not get better.
RETRYABLE_ERRORS = frozenset({-1, 45009, 45047, 45011})
# Seconds before the announced expiry at which a cached token is no longer used.
TOKEN_MARGIN_SECONDS = 300


class WechatTemplateProvider(ChannelProvider):
    name: ClassVar[str] = "wechat"

    def __init__(self, cfg: NotifyConfig) -> None:
        self.cfg = cfg

    @property
    def cache_key(self) -> str:
        return f"notify:wechat:access_token:{self.cfg.wechat_app_id}"

    def fetch_token(self) -> str:
        response = http_call(
            "GET",
            f"{self.cfg.wechat_api_base}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.cfg.wechat_app_id,
                "secret": self.cfg.wechat_app_secret,
            },
            timeout=self.cfg.http_timeout_seconds,
            what="WeChat token",
        )
        data = json_of(response, what="WeChat token")
        token = data.get("access_token")
        if not token:
            # Wrong AppID/secret or IP not whitelisted is an operator problem; keep retrying so
            # the messages go out once it is fixed.
            raise RetryableError(
                f"WeChat token: {data.get('errmsg', 'no access_token')}",
                code=str(data.get("errcode", "")),
            )
        expires_in = int(data.get("expires_in") or 7200)
        lifetime = max(expires_in - TOKEN_MARGIN_SECONDS, 30)
        cache.set(
            self.cache_key,
            {"token": str(token), "expires_at": clock.now().timestamp() + lifetime},
            timeout=lifetime,
        )
        return str(token)

    def access_token(self) -> str:
        cached = cache.get(self.cache_key)
        if isinstance(cached, dict):
            # The expiry is checked against Anzu's clock too, not only the cache's own TTL,
            # so it holds on every cache backend.
            if float(cached.get("expires_at", 0)) > clock.now().timestamp():
                return str(cached["token"])
            return self.fetch_token()
        return str(cached) if cached else self.fetch_token()

    def body_for(self, message: OutboxMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "touser": message.address,
            "template_id": message.provider_template_id,
            "data": {name: {"value": value} for name, value in message.provider_params},
            "client_msg_id": message.provider_key,
        }
        link = message.payload.get("link") if isinstance(message.payload, dict) else None
        if link:
            body["url"] = str(link)
        return body

    def _post(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        response = http_call(
            "POST",
            f"{self.cfg.wechat_api_base}/cgi-bin/message/template/send",
            params={"access_token": token},
            json=body,
            timeout=self.cfg.http_timeout_seconds,
            what="WeChat template send",
        )
        return json_of(response, what="WeChat template send")

    def send(self, message: OutboxMessage) -> str:
        if not message.address:
            raise PermanentError("No WeChat openid.", code="no_address")
        if not message.provider_template_id:
            raise PermanentError("WeChat needs the template_id.", code="no_template")
        body = self.body_for(message)
        data = self._post(self.access_token(), body)
        if data.get("errcode") in TOKEN_ERRORS:
            cache.delete(self.cache_key)
            data = self._post(self.fetch_token(), body)
        errcode = data.get("errcode", 0)
        if errcode == 0:
            return str(data.get("msgid", ""))
        text = f"WeChat template send: {data.get('errmsg', '')}"
        if errcode in RETRYABLE_ERRORS or errcode in TOKEN_ERRORS:
            raise RetryableError(text, code=str(errcode))
        raise PermanentError(text, code=str(errcode))
