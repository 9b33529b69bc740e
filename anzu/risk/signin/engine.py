"""The risk engine: pure functions from a login's context and the user's stored history to a
score, its signals and a decision. No database access here (services.py gathers the history).

Signals and their weights (docs/login-risk.md):

==================  ======  ==============================================================
signal              weight  when
==================  ======  ==============================================================
new_device          30      the device cookie is not among the user's known devices
new_network         20      the IP is outside the user's known networks and the office CIDRs
new_region          30      the IP database places the IP in a region the user never used
impossible_travel   60      the previous login's region is farther than 900 km/h allows
unusual_hour        25      the hour is rare for this user (or 00:00–06:00 while learning)
failures_user       20      several wrong passwords for this user recently
failures_ip         20      many wrong passwords from this IP recently
sensitive_velocity  40      the user recently went over a sensitive-operation velocity limit
==================  ======  ==============================================================

New-device, new-network and new-region signals need history: a user's very first login is
learned from, not judged as new.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from anzu.risk.signin.config import Network, SigninConfig
from anzu.risk.signin.ipdb import Location

WEIGHTS: dict[str, int] = {
    "new_device": 30,
    "new_network": 20,
    "new_region": 30,
    "impossible_travel": 60,
    "unusual_hour": 25,
    "failures_user": 20,
    "failures_ip": 20,
    "sensitive_velocity": 40,
}

MAX_SPEED_KMH = 900.0
# Below this distance two regions are the same place for travel purposes (city-level noise).
MIN_TRAVEL_KM = 100.0
# Learned hours need this many successful logins; before that the night window applies.
LEARN_MIN_LOGINS = 20
NIGHT_HOURS = frozenset(range(0, 6))
# An hour is unusual when the logins within one hour of it are less than this share.
RARE_HOUR_SHARE = 0.05
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Signal:
    name: str
    weight: int
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight, "detail": self.detail}


@dataclass(frozen=True)
class PreviousLogin:
    at: dt.datetime
    region: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class History:
    """What is stored about the user (empty for an unknown user name)."""

    known_devices: frozenset[str] = frozenset()
    known_networks: frozenset[str] = frozenset()
    known_regions: frozenset[str] = frozenset()
    previous: PreviousLogin | None = None
    login_hours: tuple[int, ...] = ()
    user_failures: int = 0
    ip_failures: int = 0
    sensitive_flags: int = 0


@dataclass(frozen=True)
class LoginContext:
    at: dt.datetime
    ip: str | None
    device_id: str
    location: Location | None = None
    time_zone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class Assessment:
    score: int
    signals: tuple[Signal, ...]
    decision: str

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.signals]

    def signals_json(self) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.signals]


def _signal(name: str, **detail: Any) -> Signal:
    return Signal(name, WEIGHTS[name], detail)


def network_of(ip: str | None) -> str | None:
    """The learned network of an address: its /24 (IPv4) or /48 (IPv6)."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def in_networks(ip: str | None, networks: Iterable[Network]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address.version == n.version and address in n for n in networks)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# Signals ------------------------------------------------------------------------------------


def new_device(ctx: LoginContext, history: History) -> Signal | None:
    if not history.known_devices or ctx.device_id in history.known_devices:
        return None
    return _signal("new_device")


def new_network(ctx: LoginContext, history: History, office: Sequence[Network]) -> Signal | None:
    network = network_of(ctx.ip)
    if network is None or not history.known_networks:
        return None
    if network in history.known_networks or in_networks(ctx.ip, office):
        return None
    return _signal("new_network", network=network)


def new_region(ctx: LoginContext, history: History) -> Signal | None:
    if ctx.location is None or not history.known_regions:
        return None
    if ctx.location.region in history.known_regions:
        return None
    return _signal("new_region", region=ctx.location.region)


def impossible_travel(ctx: LoginContext, history: History) -> Signal | None:
    prev, here = history.previous, ctx.location
    if prev is None or here is None or prev.latitude is None or prev.longitude is None:
        return None
    if here.latitude is None or here.longitude is None:
        return None
    km = distance_km(prev.latitude, prev.longitude, here.latitude, here.longitude)
    if km < MIN_TRAVEL_KM:
        return None
    hours = max((ctx.at - prev.at).total_seconds() / 3600.0, 1e-6)
    speed = km / hours
    if speed <= MAX_SPEED_KMH:
        return None
    return _signal(
        "impossible_travel",
        km=round(km),
        kmh=round(min(speed, 1e9)),
        **{"from": prev.region, "to": here.region},
    )


def local_hour(at: dt.datetime, time_zone: str) -> int:
    return at.astimezone(ZoneInfo(time_zone)).hour


def unusual_hour(ctx: LoginContext, history: History) -> Signal | None:
    hour = local_hour(ctx.at, ctx.time_zone)
    hours = history.login_hours
    if len(hours) < LEARN_MIN_LOGINS:
        if hour in NIGHT_HOURS:
            return _signal("unusual_hour", hour=hour, learned=False)
        return None
    near = {(hour - 1) % 24, hour, (hour + 1) % 24}
    share = sum(1 for h in hours if h in near) / len(hours)
    if share >= RARE_HOUR_SHARE:
        return None
    return _signal("unusual_hour", hour=hour, learned=True, share=round(share, 3))


def failures_user(history: History, config: SigninConfig) -> Signal | None:
    if history.user_failures < config.free_failures_user:
        return None
    return _signal("failures_user", failures=history.user_failures)


def failures_ip(history: History, config: SigninConfig) -> Signal | None:
    if history.ip_failures < config.free_failures_ip:
        return None
    return _signal("failures_ip", failures=history.ip_failures)


def sensitive_velocity(history: History) -> Signal | None:
    if history.sensitive_flags <= 0:
        return None
    return _signal("sensitive_velocity", flags=history.sensitive_flags)


# Decision -----------------------------------------------------------------------------------


def decide(score: int, config: SigninConfig) -> str:
    if score >= config.deny_score:
        return "deny"
    if score >= config.step_up_score:
        return "step_up"
    return "allow"


def assess(ctx: LoginContext, history: History, config: SigninConfig) -> Assessment:
    """Every signal that fires, their total score and the decision."""
    found = [
        new_device(ctx, history),
        new_network(ctx, history, config.office_cidrs),
        new_region(ctx, history),
        impossible_travel(ctx, history),
        unusual_hour(ctx, history),
        failures_user(history, config),
        failures_ip(history, config),
        sensitive_velocity(history),
    ]
    signals = tuple(s for s in found if s is not None)
    score = min(1000, sum(s.weight for s in signals))
    return Assessment(score=score, signals=signals, decision=decide(score, config))


def delay_seconds(failures: int, free: int, cap: int) -> int:
    """The wait required after ``failures`` recent failures: 2^(n-free) seconds from the
    ``free``-th failure on, capped."""
    if failures < free:
        return 0
    exponent = failures - free
    if exponent >= 16:
        return cap
    return int(min(cap, 2**exponent))
