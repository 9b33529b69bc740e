from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from anzu.risk.signin import ipdb
from anzu.risk.signin.config import SigninConfig

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    """A moment in Shanghai time."""
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return str(
        totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
    ).zfill(device.digits)


@pytest.fixture(autouse=True)
def _clean(settings: Any) -> Any:
    settings.SIGNIN = SigninConfig()
    ipdb.forget_readers()
    cache.clear()
    yield
    ipdb.forget_readers()


@pytest.fixture
def configure(settings: Any) -> Any:
    def apply(**changes: Any) -> SigninConfig:
        settings.SIGNIN = dataclasses.replace(settings.SIGNIN, **changes)
        return settings.SIGNIN

    return apply


@pytest.fixture
def clock_at() -> Any:
    """Freeze time at a moment (ticking off); returns the traveller to shift it."""
    travellers: list[Any] = []

    def freeze(moment: dt.datetime) -> Any:
        traveller = time_machine.travel(moment, tick=False)
        travellers.append(traveller)
        return traveller.start()

    yield freeze
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def enrolled() -> Any:
    def make(user: Any, name: str = "手机") -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name=name, confirmed=True)

    return make
