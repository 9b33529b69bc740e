"""Notification settings, parsed strictly from the environment.

``anzu/settings.py`` stores the result as ``settings.NOTIFY``; providers read it at send time, so
tests can swap it (``settings.NOTIFY = dataclasses.replace(settings.NOTIFY, ...)``).

Every channel defaults to the sandbox provider: nothing leaves the machine until an operator
configures a real provider and its credentials. A real provider without its credentials is a
start-up error naming the missing variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from anzu.common.env import ConfigError, env_int, env_str

SMS_PROVIDERS = ("sandbox", "aliyun", "tencent")
EMAIL_PROVIDERS = ("sandbox", "smtp")
WECHAT_PROVIDERS = ("sandbox", "wechat")


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""
    port: int = 25
    username: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = False
    use_ssl: bool = False


@dataclass(frozen=True)
class NotifyConfig:
    sms_provider: str = "sandbox"
    email_provider: str = "sandbox"
    wechat_provider: str = "sandbox"
    # Delivery.
    max_attempts: int = 8
    backoff_base_seconds: int = 30
    backoff_max_seconds: int = 3600
    claim_seconds: int = 120
    sweep_batch: int = 200
    http_timeout_seconds: float = 10.0
    # Aliyun SMS (Dysmsapi).
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str = field(default="", repr=False)
    aliyun_sign_name: str = ""
    aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com"
    aliyun_region: str = "cn-hangzhou"
    # Tencent Cloud SMS.
    tencent_secret_id: str = ""
    tencent_secret_key: str = field(default="", repr=False)
    tencent_sms_app_id: str = ""
    tencent_sign_name: str = ""
    tencent_endpoint: str = "https://sms.tencentcloudapi.com"
    tencent_region: str = "ap-guangzhou"
    # E-mail.
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    email_from: str = "anzu@localhost"
    # WeChat Official Account.
    wechat_app_id: str = ""
    wechat_app_secret: str = field(default="", repr=False)
    wechat_api_base: str = "https://api.weixin.qq.com"


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env_str(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name}: expected one of {'/'.join(allowed)}, got {value!r}")
    return value


def _required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ConfigError(f"{name}: required by the configured provider")
    return value


def _base_url(name: str, default: str) -> str:
    value = (env_str(name) or default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}: expected an http:// or https:// URL, got {value!r}")
    return value


def parse_email_url(name: str, url: str) -> SmtpConfig:
    """``smtp://user:pass@host:port`` (``?tls=1`` for STARTTLS) or ``smtps://`` (implicit TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{name}: expected smtp://user:password@host:port or smtps://…")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name}: port is not a number") from None
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"tls"})
    if unknown:
        raise ConfigError(f"{name}: unknown option {unknown[0]!r} (only tls=1 is understood)")
    use_ssl = parts.scheme == "smtps"
    use_tls = query.get("tls") in {"1", "true", "yes", "on"}
    if use_ssl and use_tls:
        raise ConfigError(f"{name}: smtps:// already uses TLS; drop ?tls=1")
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if use_ssl else 587 if use_tls else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )


def load_notify_config() -> NotifyConfig:
    """Read ``ANZU_*`` notification variables; raise :class:`ConfigError` naming a bad one."""
    sms = _choice("ANZU_SMS_PROVIDER", "sandbox", SMS_PROVIDERS)
    email = _choice("ANZU_EMAIL_PROVIDER", "sandbox", EMAIL_PROVIDERS)
    wechat = _choice("ANZU_WECHAT_PROVIDER", "sandbox", WECHAT_PROVIDERS)
    values: dict[str, object] = {
        "sms_provider": sms,
        "email_provider": email,
        "wechat_provider": wechat,
        "max_attempts": env_int("ANZU_NOTIFY_MAX_ATTEMPTS", 8, minimum=1),
        "backoff_base_seconds": env_int("ANZU_NOTIFY_BACKOFF_BASE_SECONDS", 30, minimum=1),
        "backoff_max_seconds": env_int("ANZU_NOTIFY_BACKOFF_MAX_SECONDS", 3600, minimum=1),
        "claim_seconds": env_int("ANZU_NOTIFY_CLAIM_SECONDS", 120, minimum=10),
        "sweep_batch": env_int("ANZU_NOTIFY_SWEEP_BATCH", 200, minimum=1),
        "http_timeout_seconds": float(env_int("ANZU_NOTIFY_HTTP_TIMEOUT", 10, minimum=1)),
        "aliyun_endpoint": _base_url("ANZU_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com"),
        "aliyun_region": env_str("ANZU_ALIYUN_REGION") or "cn-hangzhou",
        "tencent_endpoint": _base_url(
            "ANZU_TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com"
        ),
        "tencent_region": env_str("ANZU_TENCENT_REGION") or "ap-guangzhou",
        "wechat_api_base": _base_url("ANZU_WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "email_from": env_str("ANZU_EMAIL_FROM") or "anzu@localhost",
    }
    if sms == "aliyun":
        values["aliyun_access_key_id"] = _required("ANZU_ALIYUN_ACCESS_KEY_ID")
        values["aliyun_access_key_secret"] = _required("ANZU_ALIYUN_ACCESS_KEY_SECRET")
        values["aliyun_sign_name"] = _required("ANZU_ALIYUN_SMS_SIGN_NAME")
    if sms == "tencent":
        values["tencent_secret_id"] = _required("ANZU_TENCENT_SECRET_ID")
        values["tencent_secret_key"] = _required("ANZU_TENCENT_SECRET_KEY")
        values["tencent_sms_app_id"] = _required("ANZU_TENCENT_SMS_APP_ID")
        values["tencent_sign_name"] = _required("ANZU_TENCENT_SMS_SIGN_NAME")
    if email == "smtp":
        values["smtp"] = parse_email_url("ANZU_EMAIL_URL", _required("ANZU_EMAIL_URL"))
    if wechat == "wechat":
        values["wechat_app_id"] = _required("ANZU_WECHAT_APP_ID")
        values["wechat_app_secret"] = _required("ANZU_WECHAT_APP_SECRET")
    return NotifyConfig(**values)  # type: ignore[arg-type]
