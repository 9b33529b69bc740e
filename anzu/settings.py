"""Anzu settings: one module, configured from the environment with strict parsing.

Environment variables (all optional for the embedded default):

- ``ANZU_HOME``: folder for the embedded default's files (default ``./var``).
- ``DATABASE_URL``: ``sqlite:///path`` (default ``sqlite:///$ANZU_HOME/anzu.sqlite3``) or
  ``postgresql://user:password@host:port/dbname``.
- ``REDIS_URL``: when set, Huey uses Redis and Django's cache is Redis; otherwise SqliteHuey
  (a file under ``ANZU_HOME``) and a local-memory cache.
- ``ANZU_SECRET_KEY``: when unset, one is generated on first run and kept in
  ``$ANZU_HOME/secret_key``.
- ``ANZU_FIELD_KEY``: key for encrypting personal data at rest; derived from the secret key when
  unset.
- ``ANZU_DEBUG``, ``ANZU_ALLOWED_HOSTS``, ``ANZU_CSRF_TRUSTED_ORIGINS``, ``ANZU_TIME_ZONE``,
  ``ANZU_HUEY_IMMEDIATE``, ``ANZU_UPLOAD_MAX_BYTES``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from anzu.common.env import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent
ANZU_HOME = Path(env_str("ANZU_HOME") or (Path.cwd() / "var")).resolve()
ANZU_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = env_str("ANZU_SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ConfigError("ANZU_SECRET_KEY: must be at least 32 characters long")
        return configured
    path = ANZU_HOME / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(50)
    # Write atomically with owner-only permissions.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    os.replace(tmp, path)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
FIELD_ENCRYPTION_KEY = env_str("ANZU_FIELD_KEY") or ""
DEBUG = env_bool("ANZU_DEBUG", False)
ALLOWED_HOSTS = env_list("ANZU_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("ANZU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "ninja",
    "anzu.common",
    "anzu.core",
    "anzu.portfolio",
    "anzu.leasing",
    "anzu.onboarding",
    "anzu.demo",
    "anzu.billing",
    "anzu.notify",
    "anzu.documents",
    "anzu.risk",
    "anzu.risk.approvals",
    "anzu.billing.dunning",
    "anzu.billing.reconciliation",
    "anzu.billing.settlement",
    "anzu.portal",
    "anzu.dashboards",
    "anzu.maintenance",
    "anzu.maintenance.knowledge",
    "anzu.contracts",
    "anzu.leasing.agreements",
    "anzu.risk.signin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "anzu.risk.identity",
    "anzu.risk.security",
    "anzu.contracts.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "anzu.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "anzu.core.middleware.RequestContextMiddleware",
    "anzu.risk.identity.middleware.PasswordResetRequiredMiddleware",
    "anzu.risk.identity.middleware.RevokedSessionMiddleware",
]

ROOT_URLCONF = "anzu.urls"
WSGI_APPLICATION = "anzu.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anzu.core.context_processors.navigation",
            ],
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{ANZU_HOME / 'anzu.sqlite3'}"
_db = parse_database_url("DATABASE_URL", DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: every atomic block takes the write lock before it reads, so checks such as the
    # lease overlap check are serialized with the writes that depend on them.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=30000;PRAGMA cache_size=-64000;"
        ),
    }
    _db["TEST"] = {"NAME": env_str("ANZU_TEST_SQLITE_NAME") or None}
else:
    _db["CONN_MAX_AGE"] = env_int("ANZU_DB_CONN_MAX_AGE", 60, minimum=0)
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ConfigError("REDIS_URL: expected redis://, rediss:// or unix:// URL")

HUEY_IMMEDIATE = env_bool("ANZU_HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "anzu",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("ANZU_WORKERS", 2, minimum=1), "worker_type": "thread"},
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "anzu",
        "filename": str(ANZU_HOME / "tasks.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("ANZU_WORKERS", 2, minimum=1), "worker_type": "thread"},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("ANZU_TIME_ZONE") or "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = ANZU_HOME / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # hand-written CSS and vendored htmx
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = ANZU_HOME / "media"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

UPLOAD_MAX_BYTES = env_int("ANZU_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ANZU_LOG_LEVEL") or "WARNING"},
    # The Huey consumer installs its own handler; do not print its lines twice.
    "loggers": {"huey": {"propagate": False}},
}

# Documents: PDF signing identities and an optional RFC 3161 time-stamping authority.
SIGNING_P12_DIR = env_str("ANZU_SIGNING_P12_DIR") or ""
SIGNING_P12_PASSWORD = env_str("ANZU_SIGNING_P12_PASSWORD") or ""
TSA_URL = env_str("ANZU_TSA_URL") or ""
if TSA_URL and not TSA_URL.startswith(("http://", "https://")):
    raise ConfigError("ANZU_TSA_URL: expected an http:// or https:// URL")

# Notifications (anzu.notify): every channel goes to the sandbox unless configured otherwise.
# Variables are listed in anzu/notify/config.py and docs/notifications.md.
from anzu.notify.config import load_notify_config  # noqa: E402

NOTIFY = load_notify_config()

# Online payments of the tenant portal: the sandbox unless a provider is configured.
# Variables are listed in anzu/integrations/payments/config.py and docs/payments.md.
from anzu.integrations.payments.config import load_payment_config  # noqa: E402

PAYMENTS = load_payment_config()

# E-signature of lease contracts by tenants: the sandbox unless e签宝 is configured.
# Variables are listed in anzu/integrations/esign/config.py and docs/lease-signing.md.
from anzu.integrations.esign.config import load_esign_config  # noqa: E402

ESIGN = load_esign_config()

# The account tenants pay rent into, quoted in reminders and notices.
COLLECTION_ACCOUNT = env_str("ANZU_COLLECTION_ACCOUNT") or ""

# Verifiable audit log: checkpoint signing key (base64 Ed25519 seed; generated under ANZU_HOME
# when unset), the log's origin line, and how often checkpoints are signed.
AUDIT_LOG_KEY = env_str("ANZU_AUDIT_KEY") or ""
AUDIT_LOG_ORIGIN = env_str("ANZU_AUDIT_ORIGIN") or "anzu.local/audit"
AUDIT_CHECKPOINT_EVENTS = env_int("ANZU_AUDIT_CHECKPOINT_EVENTS", 1000, minimum=1)
AUDIT_CHECKPOINT_SECONDS = env_int("ANZU_AUDIT_CHECKPOINT_SECONDS", 300, minimum=1)

# Login risk (anzu.risk.signin): office networks, an optional offline IP database, decision
# thresholds and progressive delays. Variables are listed in anzu/risk/signin/config.py and
# docs/login-risk.md.
from anzu.risk.signin.config import load_signin_config  # noqa: E402

SIGNIN = load_signin_config()
OTP_TOTP_ISSUER = env_str("ANZU_TOTP_ISSUER") or "Anzu"

# Onboarding import: the most data rows one file may hold.
IMPORT_MAX_ROWS = env_int("ANZU_IMPORT_MAX_ROWS", 200_000, minimum=1)

# Contract archive: upload limits and the confidence below which extracted fields are reviewed.
CONTRACT_MAX_BYTES = env_int("ANZU_CONTRACT_MAX_BYTES", 30 * 1024 * 1024, minimum=1024)
CONTRACT_MAX_PIXELS = env_int("ANZU_CONTRACT_MAX_PIXELS", 60_000_000, minimum=10_000)
_contract_min_confidence = env_str("ANZU_CONTRACT_REVIEW_MIN_CONFIDENCE") or "0.85"
try:
    CONTRACT_REVIEW_MIN_CONFIDENCE = float(_contract_min_confidence)
except ValueError:
    CONTRACT_REVIEW_MIN_CONFIDENCE = -1.0
if not 0 <= CONTRACT_REVIEW_MIN_CONFIDENCE <= 1:
    raise ConfigError("ANZU_CONTRACT_REVIEW_MIN_CONFIDENCE: expected a number from 0 to 1")

# Account lifecycle: the HR offboarding webhook's HMAC secret (the webhook answers 503 while it
# is unset) and the days without a login after which the daily task freezes an account.
HR_WEBHOOK_SECRET = env_str("ANZU_HR_WEBHOOK_SECRET") or ""
if HR_WEBHOOK_SECRET and len(HR_WEBHOOK_SECRET) < 32:
    raise ConfigError("ANZU_HR_WEBHOOK_SECRET: must be at least 32 characters long")
DORMANT_DAYS = env_int("ANZU_DORMANT_DAYS", 90, minimum=1)
# Login-risk rows older than this are purged daily. The shadow-lease report and the security
# dashboard look back up to 366 days plus a 30-day risky-login window: never keep less.
LOGIN_ATTEMPT_RETENTION_DAYS = env_int("ANZU_LOGIN_ATTEMPT_RETENTION_DAYS", 400, minimum=396)
