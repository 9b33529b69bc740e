"""The 24×7 fast path of the SLA clocks agrees with the engine's business-calendar arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from anzu.maintenance import clocks
from anzu.maintenance.engine import sla as engine_sla

T = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
M = dt.timedelta(minutes=1)
CASES = [
    [],
    [(T + 10 * M, T + 40 * M)],
    [(T + 10 * M, T + 40 * M), (T + 30 * M, T + 90 * M)],
    [(T - 60 * M, T + 5 * M), (T + 200 * M, T + 260 * M)],
    [(T + 120 * M, T + 121 * M)],
]


@pytest.mark.parametrize("pauses", CASES)
@pytest.mark.parametrize("minutes", [0, 1, 30, 120, 24 * 60])
def test_always_fast_path_matches_engine(pauses, minutes):
    calendar = engine_sla.Calendar.always("Asia/Shanghai")
    seconds = minutes * 60
    expected = engine_sla.add_business_seconds(calendar, T, seconds, pauses)
    assert clocks._always_add(T, seconds, pauses) == expected
    end = T + dt.timedelta(seconds=seconds) + 45 * M
    assert clocks._always_seconds(T, end, pauses) == engine_sla.business_seconds(
        calendar, T, end, pauses
    )
