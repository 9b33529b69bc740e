"""Payment settings, parsed strictly from the environment.

``anzu/settings.py`` stores the result as ``settings.PAYMENTS``::

    from anzu.integrations.payments.config import load_payment_config  # noqa: E402

    PAYMENTS = load_payment_config()

Code reads it through :func:`payment_config`, which falls back to parsing the environment when
the setting is absent, and tests swap it (``settings.PAYMENTS = dataclasses.replace(...)``).

The default provider is the sandbox: no money moves until an operator configures WeChat Pay and
its credentials. A real provider without its credentials is a start-up error naming the
missing variable. Variables are listed in docs/payments.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from anzu.common.env import ConfigError, env_int, env_str

PROVIDERS = ("sandbox", "wechat_pay")
TRADE_TYPES = ("native", "h5")


@dataclass(frozen=True)
class PaymentConfig:
    provider: str = "sandbox"
    # Minutes after which an unpaid order expires (WeChat's time_expire is set to match).
    order_ttl_minutes: int = 30
    http_timeout_seconds: float = 10.0
    # Sandbox: HMAC-SHA256 key of the simulated callbacks; derived from SECRET_KEY when empty.
    sandbox_key: str = field(default="", repr=False)
    # WeChat Pay API v3 (direct merchant).
    wechat_mchid: str = ""
    wechat_appid: str = ""
    wechat_serial_no: str = ""
    wechat_private_key_pem: str = field(default="", repr=False)
    wechat_apiv3_key: str = field(default="", repr=False)
    wechat_platform_public_key_pem: str = ""
    wechat_platform_serial: str = ""
    wechat_notify_url: str = ""
    wechat_api_base: str = "https://api.mch.weixin.qq.com"
    wechat_trade_type: str = "native"
    wechat_description: str = "房租账单"
    # Seconds a callback's Wechatpay-Timestamp may differ from our clock (replay window).
    wechat_max_clock_skew: int = 300


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env_str(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name}: expected one of {'/'.join(allowed)}, got {value!r}")
    return value


def _required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ConfigError(f"{name}: required by the configured payment provider")
    return value


def _url(name: str, default: str, *, https_only: bool = False) -> str:
    value = (env_str(name) or default).rstrip("/")
    parts = urlsplit(value)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        wanted = "an https:// URL" if https_only else "an http:// or https:// URL"
        raise ConfigError(f"{name}: expected {wanted}, got {value!r}")
    return value


def _pem_file(name: str, *, markers: tuple[str, ...]) -> str:
    """The PEM text of the file named by variable ``name``; must contain one of ``markers``."""
    path = Path(_required(name))
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read {str(path)!r} ({exc.__class__.__name__})") from None
    if not any(f"-----BEGIN {m}" in text for m in markers):
        wanted = " or ".join(m.lower() for m in markers)
        raise ConfigError(f"{name}: {str(path)!r} is not a PEM file with a {wanted}")
    return text


def load_payment_config() -> PaymentConfig:
    """Read ``ANZU_PAYMENT_*`` and ``ANZU_WECHATPAY_*``; raise :class:`ConfigError` naming a bad one."""
    provider = _choice("ANZU_PAYMENT_PROVIDER", "sandbox", PROVIDERS)
    values: dict[str, object] = {
        "provider": provider,
        "order_ttl_minutes": env_int("ANZU_PAYMENT_ORDER_TTL_MINUTES", 30, minimum=5),
        "http_timeout_seconds": float(env_int("ANZU_PAYMENT_HTTP_TIMEOUT", 10, minimum=1)),
        "sandbox_key": env_str("ANZU_PAYMENT_SANDBOX_KEY") or "",
        "wechat_api_base": _url("ANZU_WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com"),
        "wechat_trade_type": _choice("ANZU_WECHATPAY_TRADE_TYPE", "native", TRADE_TYPES),
        "wechat_description": env_str("ANZU_WECHATPAY_DESCRIPTION") or "房租账单",
    }
    if provider == "wechat_pay":
        apiv3_key = _required("ANZU_WECHATPAY_APIV3_KEY")
        if len(apiv3_key.encode("utf-8")) != 32:
            raise ConfigError("ANZU_WECHATPAY_APIV3_KEY: must be exactly 32 bytes")
        values.update(
            wechat_mchid=_required("ANZU_WECHATPAY_MCHID"),
            wechat_appid=_required("ANZU_WECHATPAY_APPID"),
            wechat_serial_no=_required("ANZU_WECHATPAY_SERIAL_NO"),
            wechat_private_key_pem=_pem_file(
                "ANZU_WECHATPAY_PRIVATE_KEY_FILE", markers=("PRIVATE KEY", "RSA PRIVATE KEY")
            ),
            wechat_apiv3_key=apiv3_key,
            wechat_platform_public_key_pem=_pem_file(
                "ANZU_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE", markers=("PUBLIC KEY", "CERTIFICATE")
            ),
            wechat_platform_serial=env_str("ANZU_WECHATPAY_PLATFORM_SERIAL") or "",
            wechat_notify_url=_url(
                "ANZU_WECHATPAY_NOTIFY_URL", _required("ANZU_WECHATPAY_NOTIFY_URL"), https_only=True
            ),
        )
    return PaymentConfig(**values)  # type: ignore[arg-type]


def payment_config() -> PaymentConfig:
    """``settings.PAYMENTS`` when the settings module defines it, else the environment's."""
    from django.conf import settings

    configured = getattr(settings, "PAYMENTS", None)
    if isinstance(configured, PaymentConfig):
        return configured
    return load_payment_config()
