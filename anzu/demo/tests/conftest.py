from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from anzu.demo import seeding

# 10:00 in Shanghai on a fixed business date: every figure below is exact for it.
FROZEN = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 4)


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def collected(db: Any, frozen: Any) -> seeding.SeedResult:
    """A small demo with its collections, seeded on TODAY (maintenance: test_maintenance.py;
    risk control and lease signing: test_risk.py)."""
    return seeding.seed(units=300, months=12, seed=5, slug="demo", maintenance=False, risk=False)
