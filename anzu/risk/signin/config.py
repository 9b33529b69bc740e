"""Login-risk settings, parsed strictly from the environment (see docs/login-risk.md).

- ``ANZU_OFFICE_CIDRS``: comma-separated networks treated as known for everyone
  (e.g. ``203.0.113.0/24,2001:db8:1::/48``).
- ``ANZU_IPDB_PATH``: an offline IP database, ip2region ``.xdb`` (format version 2) or MaxMind
  ``.mmdb``; without it the region signals are absent.
- ``ANZU_SIGNIN_STEP_UP_SCORE`` (50) and ``ANZU_SIGNIN_DENY_SCORE`` (90): decision thresholds.
- ``ANZU_SIGNIN_ENROLL_BELOW`` (0 = off): a step-up for a user without a TOTP device and with a
  score below this value enrols a device during the login instead of being denied.
- ``ANZU_SIGNIN_FREE_FAILURES_USER`` (3), ``ANZU_SIGNIN_FREE_FAILURES_IP`` (10),
  ``ANZU_SIGNIN_MAX_DELAY`` (60 seconds), ``ANZU_SIGNIN_FAILURE_WINDOW`` (15 minutes):
  progressive delays after failed passwords.
- ``ANZU_SIGNIN_SENSITIVE_LIMIT`` (10) and ``ANZU_SIGNIN_SENSITIVE_WINDOW`` (10 minutes):
  more sensitive operations of one kind by one user inside the window is a risk signal.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from anzu.common.env import ConfigError, env_int, env_list, env_str

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SigninConfig:
    office_cidrs: tuple[Network, ...] = ()
    ipdb_path: str = ""
    step_up_score: int = 50
    deny_score: int = 90
    enroll_below: int = 0
    free_failures_user: int = 3
    free_failures_ip: int = 10
    max_delay: int = 60
    failure_window_minutes: int = 15
    sensitive_limit: int = 10
    sensitive_window_minutes: int = 10


def parse_cidrs(name: str, values: list[str]) -> tuple[Network, ...]:
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a network such as 10.0.0.0/8") from None
    return tuple(networks)


def parse_ipdb_path(name: str, value: str) -> str:
    if not value:
        return ""
    path = Path(value)
    if path.suffix.lower() not in {".xdb", ".mmdb"}:
        raise ConfigError(f"{name}: expected an ip2region .xdb or a MaxMind .mmdb file")
    if not path.is_file():
        raise ConfigError(f"{name}: no such file {value!r}")
    return str(path)


def load_signin_config() -> SigninConfig:
    step_up = env_int("ANZU_SIGNIN_STEP_UP_SCORE", 50, minimum=1)
    deny = env_int("ANZU_SIGNIN_DENY_SCORE", 90, minimum=1)
    if deny <= step_up:
        raise ConfigError("ANZU_SIGNIN_DENY_SCORE: must be greater than ANZU_SIGNIN_STEP_UP_SCORE")
    enroll_below = env_int("ANZU_SIGNIN_ENROLL_BELOW", 0, minimum=0)
    if enroll_below > deny:
        raise ConfigError("ANZU_SIGNIN_ENROLL_BELOW: must not exceed ANZU_SIGNIN_DENY_SCORE")
    return SigninConfig(
        office_cidrs=parse_cidrs("ANZU_OFFICE_CIDRS", env_list("ANZU_OFFICE_CIDRS", [])),
        ipdb_path=parse_ipdb_path("ANZU_IPDB_PATH", env_str("ANZU_IPDB_PATH") or ""),
        step_up_score=step_up,
        deny_score=deny,
        enroll_below=enroll_below,
        free_failures_user=env_int("ANZU_SIGNIN_FREE_FAILURES_USER", 3, minimum=1),
        free_failures_ip=env_int("ANZU_SIGNIN_FREE_FAILURES_IP", 10, minimum=1),
        max_delay=env_int("ANZU_SIGNIN_MAX_DELAY", 60, minimum=1),
        failure_window_minutes=env_int("ANZU_SIGNIN_FAILURE_WINDOW", 15, minimum=1),
        sensitive_limit=env_int("ANZU_SIGNIN_SENSITIVE_LIMIT", 10, minimum=1),
        sensitive_window_minutes=env_int("ANZU_SIGNIN_SENSITIVE_WINDOW", 10, minimum=1),
    )
