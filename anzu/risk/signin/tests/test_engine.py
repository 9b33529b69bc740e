"""The risk engine's pure functions: every signal on and off, scores and thresholds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress

import pytest

from anzu.risk.signin import engine
from anzu.risk.signin.config import SigninConfig
from anzu.risk.signin.ipdb import Location

from .conftest import local

CFG = SigninConfig()
DAY = local(2026, 12, 1, 10, 0)  # 10:00 in Shanghai
NIGHT = local(2026, 12, 1, 2, 30)
SHANGHAI = Location("上海市", 31.23, 121.474)
GUANGDONG = Location("广东省", 23.129, 113.264)
SHANGHAI_SUBURB = Location("上海市", 31.0, 121.2)


def ctx(**kw):
    base = {"at": DAY, "ip": "198.51.100.7", "device_id": "dev-a", "location": None}
    base.update(kw)
    return engine.LoginContext(**base)


def hist(**kw):
    base = {
        "known_devices": frozenset({"dev-a"}),
        "known_networks": frozenset({"198.51.100.0/24"}),
    }
    base.update(kw)
    return engine.History(**base)


def names(c, h, cfg=CFG):
    return engine.assess(c, h, cfg).names


def test_known_everything_in_the_day_is_allowed_with_no_signal():
    result = engine.assess(ctx(), hist(), CFG)
    assert (result.score, result.names, result.decision) == (0, [], "allow")


def test_new_device_on_and_off():
    assert names(ctx(device_id="dev-b"), hist()) == ["new_device"]
    assert names(ctx(device_id="dev-a"), hist()) == []
    # No device known yet (first login): learned, not judged.
    assert names(ctx(device_id="dev-b"), hist(known_devices=frozenset())) == []


def test_new_network_on_and_off_and_office_cidrs():
    assert names(ctx(ip="203.0.113.9"), hist()) == ["new_network"]
    assert engine.new_network(ctx(ip="203.0.113.9"), hist(), ()).detail == {
        "network": "203.0.113.0/24"
    }
    assert names(ctx(ip="198.51.100.250"), hist()) == []  # same /24
    office = dataclasses.replace(CFG, office_cidrs=(ipaddress.ip_network("203.0.113.0/28"),))
    assert names(ctx(ip="203.0.113.9"), hist(), office) == []
    assert names(ctx(ip="203.0.113.99"), hist(), office) == ["new_network"]
    assert names(ctx(ip="203.0.113.9"), hist(known_networks=frozenset())) == []


def test_ipv6_networks_are_learned_per_48():
    assert engine.network_of("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert engine.network_of("::ffff:198.51.100.7") == "198.51.100.0/24"
    assert engine.network_of("not-an-ip") is None
    h = hist(known_networks=frozenset({"2001:db8:abcd::/48"}))
    assert names(ctx(ip="2001:db8:abcd:ffff::9"), h) == []
    assert names(ctx(ip="2001:db8:abce::9"), h) == ["new_network"]


def test_new_region_needs_a_location_and_history():
    h = hist(known_regions=frozenset({"上海市"}))
    assert names(ctx(location=GUANGDONG), h) == ["new_region"]
    assert names(ctx(location=SHANGHAI), h) == []
    assert names(ctx(location=None), h) == []  # no database: signal absent
    assert names(ctx(location=GUANGDONG), hist()) == []  # no region learned yet


def test_impossible_travel_over_900_kmh():
    prev = engine.PreviousLogin(DAY - dt.timedelta(hours=1), "上海市", 31.23, 121.474)
    h = hist(previous=prev, known_regions=frozenset({"上海市"}))
    signal = engine.impossible_travel(ctx(location=GUANGDONG), h)
    assert signal is not None and signal.detail["km"] > 1000 and signal.detail["kmh"] > 900
    assert signal.detail["from"] == "上海市" and signal.detail["to"] == "广东省"
    assert set(names(ctx(location=GUANGDONG), h)) == {"new_region", "impossible_travel"}
    # Three hours later the same trip is a flight: possible.
    slow = hist(previous=dataclasses.replace(prev, at=DAY - dt.timedelta(hours=3)))
    assert engine.impossible_travel(ctx(location=GUANGDONG), slow) is None
    # Short hops inside a city are never "travel".
    assert engine.impossible_travel(ctx(location=SHANGHAI_SUBURB), h) is None
    # Missing coordinates on either side: absent.
    assert engine.impossible_travel(ctx(location=Location("广东省")), h) is None
    assert engine.impossible_travel(ctx(location=None), h) is None


def test_night_window_applies_while_learning():
    assert names(ctx(at=NIGHT), hist()) == ["unusual_hour"]
    assert engine.unusual_hour(ctx(at=NIGHT), hist()).detail == {"hour": 2, "learned": False}
    assert names(ctx(at=local(2026, 12, 1, 6, 0)), hist()) == []
    assert names(ctx(at=local(2026, 12, 1, 23, 59)), hist()) == []
    # 19 logins are still "learning".
    assert names(ctx(at=NIGHT), hist(login_hours=(2,) * 19)) == ["unusual_hour"]


def test_learned_hours_replace_the_night_default():
    night_owl = hist(login_hours=(1, 2, 3) * 10)
    assert names(ctx(at=NIGHT), night_owl) == []
    assert names(ctx(at=DAY), night_owl) == ["unusual_hour"]
    office_hours = hist(login_hours=tuple(range(9, 18)) * 3)
    assert names(ctx(at=DAY), office_hours) == []
    assert names(ctx(at=local(2026, 12, 1, 8, 10)), office_hours) == []  # next to 9:00
    signal = engine.unusual_hour(ctx(at=local(2026, 12, 1, 21, 0)), office_hours)
    assert signal is not None and signal.detail["learned"] is True


def test_hours_use_the_organization_time_zone():
    utc_day = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 Shanghai, 02:00 UTC
    assert names(ctx(at=utc_day), hist()) == []
    assert names(ctx(at=utc_day, time_zone="UTC"), hist()) == ["unusual_hour"]


def test_failure_velocity_per_user_and_per_ip():
    assert names(ctx(), hist(user_failures=2)) == []
    assert names(ctx(), hist(user_failures=3)) == ["failures_user"]
    assert names(ctx(), hist(ip_failures=9)) == []
    assert names(ctx(), hist(ip_failures=10)) == ["failures_ip"]


def test_sensitive_velocity_flag():
    assert names(ctx(), hist(sensitive_flags=1)) == ["sensitive_velocity"]
    assert names(ctx(), hist(sensitive_flags=0)) == []


@pytest.mark.parametrize(
    ("score", "decision"),
    [(0, "allow"), (49, "allow"), (50, "step_up"), (89, "step_up"), (90, "deny"), (500, "deny")],
)
def test_decision_thresholds(score, decision):
    assert engine.decide(score, CFG) == decision


def test_scores_add_up_to_decisions():
    # New device alone (30): allowed. New device + new network (50): step-up.
    assert engine.assess(ctx(device_id="x"), hist(), CFG).decision == "allow"
    both = engine.assess(ctx(device_id="x", ip="203.0.113.1"), hist(), CFG)
    assert (both.score, both.decision) == (50, "step_up")
    # The shadow-lease login: new device, network and region at 2 a.m.: denied.
    h = hist(known_regions=frozenset({"上海市"}))
    shadow = engine.assess(
        ctx(at=NIGHT, device_id="x", ip="203.0.113.1", location=GUANGDONG), h, CFG
    )
    assert shadow.score == 30 + 20 + 30 + 25
    assert shadow.decision == "deny"
    assert [s["name"] for s in shadow.signals_json()] == shadow.names


def test_progressive_delay_doubles_and_is_capped():
    assert [engine.delay_seconds(n, 3, 60) for n in range(0, 11)] == [
        0,
        0,
        0,
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]
    assert engine.delay_seconds(10_000, 3, 60) == 60
