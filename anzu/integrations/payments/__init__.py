"""Payment providers: the sandbox (embedded default) and WeChat Pay API v3.

:func:`provider_for` returns the provider of a name only when it is the configured one, so a
sandbox callback is refused on a site that takes real payments. See docs/payments.md.
"""

from __future__ import annotations

from anzu.integrations.payments.base import (
    CallbackResult,
    OrderStart,
    PaymentProvider,
    SignatureError,
)
from anzu.integrations.payments.config import PaymentConfig, payment_config


class UnknownProvider(LookupError):
    """No enabled provider has this name."""


def provider_for(name: str, cfg: PaymentConfig | None = None) -> PaymentProvider:
    from anzu.integrations.payments.sandbox import SandboxPaymentProvider
    from anzu.integrations.payments.wechat import WechatPayProvider

    cfg = cfg or payment_config()
    if name != cfg.provider:
        raise UnknownProvider(name)
    if name == "wechat_pay":
        return WechatPayProvider(cfg)
    return SandboxPaymentProvider(cfg)


def current_provider() -> PaymentProvider:
    cfg = payment_config()
    return provider_for(cfg.provider, cfg)


__all__ = [
    "CallbackResult",
    "OrderStart",
    "PaymentProvider",
    "SignatureError",
    "UnknownProvider",
    "current_provider",
    "provider_for",
]
