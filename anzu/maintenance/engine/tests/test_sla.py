"""Business-calendar clocks: windows, holidays, 调休 days, DST, pauses, and their properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anzu.maintenance.engine.sla import (
    Calendar,
    add_business_seconds,
    business_seconds,
    segments,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = 3600

# 2026: National Day holiday Thu 1 Oct – Wed 7 Oct; Saturday 10 Oct worked (调休).
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))
OFFICE = Calendar.working_week(
    [(time(9), time(12)), (time(13, 30), time(18))],
    holidays=NATIONAL_DAY,
    workdays=frozenset({date(2026, 10, 10)}),
)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


def be(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_split_day_windows() -> None:
    # Fri 4 Dec 2026: 10:00 → 15:00 = 2 h in the morning + 1.5 h after lunch.
    assert business_seconds(OFFICE, sh(2026, 12, 4, 10), sh(2026, 12, 4, 15)) == int(3.5 * H)
    assert segments(OFFICE, sh(2026, 12, 4, 10), sh(2026, 12, 4, 15)) == [
        (datetime(2026, 12, 4, 2, tzinfo=UTC), datetime(2026, 12, 4, 4, tzinfo=UTC)),
        (datetime(2026, 12, 4, 5, 30, tzinfo=UTC), datetime(2026, 12, 4, 7, tzinfo=UTC)),
    ]


def test_across_midnight_and_the_weekend() -> None:
    # Fri 17:00 → Mon 10:00: 1 h on Friday, 1 h on Monday.
    assert business_seconds(OFFICE, sh(2026, 12, 4, 17), sh(2026, 12, 7, 10)) == 2 * H
    # A 4-hour SLA started Friday 17:00 ends Monday 12:00 (Shanghai), 04:00 UTC.
    deadline = add_business_seconds(OFFICE, sh(2026, 12, 4, 17), 4 * H)
    assert deadline == datetime(2026, 12, 7, 4, tzinfo=UTC)
    assert deadline.astimezone(SH) == sh(2026, 12, 7, 12)


def test_deadline_at_a_window_end_is_that_end_not_the_next_start() -> None:
    assert add_business_seconds(OFFICE, sh(2026, 12, 4, 11), H) == sh(2026, 12, 4, 12)
    # Started during lunch: the clock starts at 13:30.
    assert add_business_seconds(OFFICE, sh(2026, 12, 4, 12, 15), 1800) == sh(2026, 12, 4, 14)
    assert add_business_seconds(OFFICE, sh(2026, 12, 4, 12, 15), 0) == sh(2026, 12, 4, 12, 15)


def test_holidays_and_makeup_working_day() -> None:
    # Wed 30 Sep 17:00 + 2 h: 1 h on 30 Sep, holidays 1–7 Oct, weekend 3–4 inside them,
    # Thu 8 Oct 09:00–10:00.
    assert add_business_seconds(OFFICE, sh(2026, 9, 30, 17), 2 * H) == sh(2026, 10, 8, 10)
    assert business_seconds(OFFICE, sh(2026, 10, 1), sh(2026, 10, 8)) == 0
    # Sat 10 Oct is worked like a Monday; Sun 11 Oct is not.
    assert business_seconds(OFFICE, sh(2026, 10, 10), sh(2026, 10, 11)) == int(7.5 * H)
    assert business_seconds(OFFICE, sh(2026, 10, 11), sh(2026, 10, 12)) == 0


def test_makeup_day_uses_the_configured_weekday() -> None:
    cal = Calendar(
        tz="Asia/Shanghai",
        windows={0: [(time(9), time(18))], 4: [(time(9), time(12))]},
        holidays=frozenset(),
        workdays=frozenset({date(2026, 10, 10)}),
        workday_weekday=4,
    )
    assert business_seconds(cal, sh(2026, 10, 10), sh(2026, 10, 11)) == 3 * H


def test_overnight_window_belongs_to_the_day_it_starts() -> None:
    night = Calendar(
        tz="Asia/Shanghai",
        windows={d: [(time(22), time(6))] for d in range(7)},
        holidays=frozenset({date(2026, 12, 5)}),
    )
    # Fri 22:00 → Sat 06:00 counts; Sat night is a holiday; Sun 22:00 → Mon 06:00 counts.
    assert business_seconds(night, sh(2026, 12, 4, 20), sh(2026, 12, 5, 8)) == 8 * H
    assert business_seconds(night, sh(2026, 12, 5, 8), sh(2026, 12, 6, 8)) == 0
    assert business_seconds(night, sh(2026, 12, 6, 23), sh(2026, 12, 7, 1)) == 2 * H
    # Started at Saturday 05:00, inside Friday's window.
    assert add_business_seconds(night, sh(2026, 12, 5, 5), 2 * H) == sh(2026, 12, 6, 23)


def test_always_counts_real_seconds_through_dst() -> None:
    berlin = Calendar.always("Europe/Berlin")
    # 29 Mar 2026 has 23 hours in Berlin, 25 Oct 2026 has 25.
    assert business_seconds(berlin, be(2026, 3, 29), be(2026, 3, 30)) == 23 * H
    assert business_seconds(berlin, be(2026, 10, 25), be(2026, 10, 26)) == 25 * H
    assert add_business_seconds(berlin, be(2026, 3, 29), 24 * H) == be(2026, 3, 30, 1)
    shanghai = Calendar.always()
    assert shanghai.tz == "Asia/Shanghai"
    assert business_seconds(shanghai, sh(2026, 1, 1), sh(2027, 1, 1)) == 365 * 24 * H


def test_windows_on_dst_days_are_counted_in_real_time() -> None:
    cal = Calendar(tz="Europe/Berlin", windows={6: [(time(1), time(4))]}, holidays=frozenset())
    # Spring forward (02:00 → 03:00): 01:00 CET → 04:00 CEST is 2 real hours.
    assert business_seconds(cal, be(2026, 3, 28), be(2026, 3, 30)) == 2 * H
    # Fall back (03:00 → 02:00): 01:00 CEST → 04:00 CET is 4 real hours.
    assert business_seconds(cal, be(2026, 10, 24), be(2026, 10, 26)) == 4 * H
    office = Calendar.working_week([(time(9), time(17))], tz="Europe/Berlin")
    # Fri 27 Mar 16:00 → Mon 30 Mar 10:00 across the switch: 1 h + 1 h.
    assert business_seconds(office, be(2026, 3, 27, 16), be(2026, 3, 30, 10)) == 2 * H
    assert add_business_seconds(office, be(2026, 3, 27, 16), 2 * H) == be(2026, 3, 30, 10)


def test_pauses_are_not_counted() -> None:
    start, end = sh(2026, 12, 4, 9), sh(2026, 12, 4, 18)
    assert business_seconds(OFFICE, start, end) == int(7.5 * H)
    pauses = [
        (sh(2026, 12, 4, 10), sh(2026, 12, 4, 11)),
        (sh(2026, 12, 4, 10, 30), sh(2026, 12, 4, 11, 30)),  # overlaps the first
        (sh(2026, 12, 4, 12), sh(2026, 12, 4, 13, 30)),  # lunch: nothing to remove
        (sh(2026, 12, 4, 17, 30), sh(2026, 12, 4, 17)),  # empty (end before start)
    ]
    assert business_seconds(OFFICE, start, end, pauses) == int(6 * H)
    assert segments(OFFICE, start, end, pauses)[:2] == [
        (sh(2026, 12, 4, 9), sh(2026, 12, 4, 10)),
        (sh(2026, 12, 4, 11, 30), sh(2026, 12, 4, 12)),
    ]
    # The deadline moves by the paused working time.
    assert add_business_seconds(OFFICE, start, 2 * H, pauses) == sh(2026, 12, 4, 14)


def test_long_pause_moves_the_deadline_past_it() -> None:
    pause = [(sh(2026, 12, 4, 10), sh(2028, 12, 4, 10))]
    assert add_business_seconds(OFFICE, sh(2026, 12, 4, 9), 2 * H, pause) == sh(2028, 12, 4, 11)
    # An open pause in force at the start.
    forever = [(sh(2026, 1, 1), sh(2126, 1, 1))]
    assert add_business_seconds(Calendar.always(), sh(2026, 6, 1), 60, forever) == sh(
        2126, 1, 1, 0, 1
    )


def test_seconds_are_whole() -> None:
    start = sh(2026, 12, 4, 9, 0, 0, 900_000)
    assert business_seconds(OFFICE, start, sh(2026, 12, 4, 9, 0, 10, 100_000)) == 10
    assert add_business_seconds(OFFICE, start, 5) == sh(2026, 12, 4, 9, 0, 5)


def test_invalid_input() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_seconds(OFFICE, datetime(2026, 1, 1), sh(2026, 1, 2))  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        add_business_seconds(OFFICE, sh(2026, 1, 1), -1)
    with pytest.raises(ValueError, match="no working time"):
        add_business_seconds(Calendar("UTC", {}, frozenset()), sh(2026, 1, 1), 1)
    with pytest.raises(ValueError, match="both"):
        Calendar("UTC", {}, frozenset({date(2026, 1, 1)}), frozenset({date(2026, 1, 1)}))
    with pytest.raises(ValueError, match="weekday"):
        Calendar("UTC", {7: [(time(9), time(10))]}, frozenset())
    with pytest.raises(Exception, match="Nowhere"):
        Calendar("Nowhere/City", {}, frozenset())
    assert business_seconds(OFFICE, sh(2026, 12, 4, 15), sh(2026, 12, 4, 10)) == 0
    assert segments(OFFICE, sh(2026, 12, 4, 15), sh(2026, 12, 4, 15)) == []


# --- properties ---------------------------------------------------------------------------

CALENDARS = [
    OFFICE,
    Calendar.always("Europe/Berlin"),
    Calendar(
        tz="Europe/Berlin",
        windows={
            0: [(time(8), time(12)), (time(13), time(17, 30))],
            2: [(time(8), time(12)), (time(22), time(1))],
            4: [(time(0), time(0))],
            6: [(time(1), time(4))],
        },
        holidays=frozenset({date(2026, 12, 25), date(2026, 3, 30)}),
        workdays=frozenset({date(2026, 10, 24)}),
    ),
    Calendar.working_week([(time(9), time(18))], tz="America/New_York"),
]
MINUTE = timedelta(minutes=1)
_base = datetime(2026, 1, 1, tzinfo=UTC)
instants = st.integers(0, 365 * 24 * 60).map(lambda m: _base + m * MINUTE)
calendars = st.sampled_from(CALENDARS)


@settings(max_examples=150, deadline=None)
@given(calendars, instants, st.integers(0, 30 * 24 * H))
def test_add_then_count_round_trips_and_is_minimal(
    cal: Calendar, start: datetime, seconds: int
) -> None:
    deadline = add_business_seconds(cal, start, seconds)
    assert business_seconds(cal, start, deadline) == seconds
    if seconds > 0:
        assert business_seconds(cal, start, deadline - timedelta(seconds=1)) == seconds - 1


@settings(max_examples=150, deadline=None)
@given(calendars, instants, st.integers(0, 20 * 24 * 60), st.integers(0, 20 * 24 * 60))
def test_additivity(cal: Calendar, a: datetime, ab: int, bc: int) -> None:
    b, c = a + ab * MINUTE, a + (ab + bc) * MINUTE
    assert business_seconds(cal, a, c) == business_seconds(cal, a, b) + business_seconds(cal, b, c)
    assert segments(cal, a, c) == _join(segments(cal, a, b) + segments(cal, b, c))


@settings(max_examples=150, deadline=None)
@given(
    calendars,
    instants,
    st.integers(0, 10 * 24 * 60),
    st.lists(
        st.tuples(st.integers(-3 * 24 * 60, 12 * 24 * 60), st.integers(0, 3 * 24 * 60)), max_size=4
    ),
    st.integers(0, 5 * 24 * H),
)
def test_pauses_only_reduce_and_round_trip(
    cal: Calendar, a: datetime, span: int, raw: list[tuple[int, int]], seconds: int
) -> None:
    c = a + span * MINUTE
    pauses = [(a + s * MINUTE, a + (s + n) * MINUTE) for s, n in raw]
    with_pauses = business_seconds(cal, a, c, pauses)
    assert 0 <= with_pauses <= business_seconds(cal, a, c)
    if len(pauses) == 1:
        ps, pe = pauses[0]
        lo, hi = max(a, ps), min(c, pe)
        removed = business_seconds(cal, lo, hi) if hi > lo else 0
        assert with_pauses == business_seconds(cal, a, c) - removed
    deadline = add_business_seconds(cal, a, seconds, pauses)
    assert business_seconds(cal, a, deadline, pauses) == seconds


def _working(cal: Calendar, instant: datetime) -> bool:
    """Independent definition for calendars without overnight windows: the local date is a
    working day and the local time of day lies in one of its windows."""
    local = instant.astimezone(cal.zone)
    day = local.date()
    if day in cal.holidays:
        return False
    weekday = cal.workday_weekday if day in cal.workdays else day.weekday()
    t = local.time().replace(tzinfo=None)
    return any(s <= t < e for s, e in cal.windows.get(weekday, ()))


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([CALENDARS[0], CALENDARS[3]]),
    instants,
    st.integers(0, 4 * 24 * 60),
)
def test_against_minute_by_minute_count(cal: Calendar, a: datetime, minutes: int) -> None:
    expected = sum(60 for m in range(minutes) if _working(cal, a + m * MINUTE))
    assert business_seconds(cal, a, a + minutes * MINUTE) == expected


@pytest.mark.parametrize("day", [date(2026, 3, 8), date(2026, 3, 27), date(2026, 11, 1)])
def test_minute_count_across_new_york_dst(day: date) -> None:
    cal = CALENDARS[3]
    a = datetime.combine(day, time(0), tzinfo=UTC)
    minutes = 4 * 24 * 60
    expected = sum(60 for m in range(minutes) if _working(cal, a + m * MINUTE))
    assert business_seconds(cal, a, a + minutes * MINUTE) == expected


def _join(parts: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s, e in parts:
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
