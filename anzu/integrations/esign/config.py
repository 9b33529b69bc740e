"""E-signature settings, parsed strictly from the environment.

``anzu/settings.py`` stores the result as ``settings.ESIGN``; code reads it through
:func:`esign_config`, which falls back to parsing the environment when the setting is absent, and
tests swap it (``settings.ESIGN = dataclasses.replace(...)``).

The default provider is the sandbox (沙箱): nothing leaves the machine and signatures carry a
sandbox certificate. ``esign_cn`` (e签宝 open API v3) needs its credentials and the public URL
of the callback; a missing one is a start-up error naming the variable. Variables are listed in
docs/lease-signing.md and the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from anzu.common.env import ConfigError, env_int, env_str

PROVIDERS = ("sandbox", "esign_cn")


@dataclass(frozen=True)
class EsignConfig:
    provider: str = "sandbox"
    http_timeout_seconds: float = 10.0
    # Tries of one call while the provider answers 5xx/429 or times out.
    max_attempts: int = 3
    retry_backoff_seconds: float = 1.0
    # Seconds a callback's timestamp may differ from our clock (replay window).
    max_clock_skew: int = 300
    # Days a tenant has to sign before the flow expires.
    sign_days: int = 14
    # Sandbox: HMAC-SHA256 key of the simulated callbacks; derived from SECRET_KEY when empty.
    sandbox_key: str = field(default="", repr=False)
    # e签宝 (esign.cn) open API v3.
    esign_app_id: str = ""
    esign_app_secret: str = field(default="", repr=False)
    esign_api_base: str = "https://openapi.esign.cn"
    esign_callback_url: str = ""
    esign_redirect_url: str = ""


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env_str(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name}: expected one of {'/'.join(allowed)}, got {value!r}")
    return value


def _required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ConfigError(f"{name}: required by the configured e-signature provider")
    return value


def _url(name: str, value: str, *, https_only: bool = False) -> str:
    value = value.rstrip("/")
    parts = urlsplit(value)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        wanted = "an https:// URL" if https_only else "an http:// or https:// URL"
        raise ConfigError(f"{name}: expected {wanted}, got {value!r}")
    return value


def load_esign_config() -> EsignConfig:
    """Read ``ANZU_ESIGN_*``; raise :class:`ConfigError` naming a bad variable."""
    provider = _choice("ANZU_ESIGN_PROVIDER", "sandbox", PROVIDERS)
    values: dict[str, object] = {
        "provider": provider,
        "http_timeout_seconds": float(env_int("ANZU_ESIGN_HTTP_TIMEOUT", 10, minimum=1)),
        "max_attempts": env_int("ANZU_ESIGN_MAX_ATTEMPTS", 3, minimum=1),
        "max_clock_skew": env_int("ANZU_ESIGN_MAX_CLOCK_SKEW", 300, minimum=30),
        "sign_days": env_int("ANZU_ESIGN_SIGN_DAYS", 14, minimum=1),
        "sandbox_key": env_str("ANZU_ESIGN_SANDBOX_KEY") or "",
        "esign_api_base": _url(
            "ANZU_ESIGN_API_BASE", env_str("ANZU_ESIGN_API_BASE") or "https://openapi.esign.cn"
        ),
    }
    if provider == "esign_cn":
        values.update(
            esign_app_id=_required("ANZU_ESIGN_APP_ID"),
            esign_app_secret=_required("ANZU_ESIGN_APP_SECRET"),
            esign_callback_url=_url(
                "ANZU_ESIGN_CALLBACK_URL", _required("ANZU_ESIGN_CALLBACK_URL"), https_only=True
            ),
            esign_redirect_url=(
                _url("ANZU_ESIGN_REDIRECT_URL", env_str("ANZU_ESIGN_REDIRECT_URL") or "")
                if env_str("ANZU_ESIGN_REDIRECT_URL")
                else ""
            ),
        )
    return EsignConfig(**values)  # type: ignore[arg-type]


def esign_config() -> EsignConfig:
    """``settings.ESIGN`` when the settings module defines it, else the environment's."""
    from django.conf import settings

    configured = getattr(settings, "ESIGN", None)
    if isinstance(configured, EsignConfig):
        return configured
    return load_esign_config()
