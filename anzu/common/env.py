"""Strict parsing of configuration from environment variables.

Every helper raises :class:`ConfigError` naming the variable and the problem, so a typo in a
deployment fails at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(Exception):
    """A configuration variable is present but malformed."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}: expected one of 1/0/true/false/yes/no/on/off, got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class DatabaseUrl:
    engine: str
    name: str
    user: str
    password: str
    host: str
    port: str
    options: dict[str, str]


def parse_database_url(name: str, url: str) -> dict[str, object]:
    """Turn ``sqlite:///path`` or ``postgresql://user:pw@host:port/db`` into a DATABASES entry."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if url.startswith("sqlite:////"):
            db_name = "/" + path.lstrip("/")
        else:
            db_name = path[1:] if path.startswith("/") else path
        if not db_name:
            raise ConfigError(
                f"{name}: sqlite URL needs a file path, e.g. sqlite:///var/anzu.sqlite3"
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": db_name}
    if scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ConfigError(f"{name}: postgresql URL needs a database name")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"{name}: port is not a number") from None
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
        }
    raise ConfigError(
        f"{name}: unsupported scheme {parts.scheme!r}; use sqlite:/// or postgresql://"
    )
