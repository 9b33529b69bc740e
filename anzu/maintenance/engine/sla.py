"""Business-calendar clocks for SLAs.

A :class:`Calendar` says when the clock runs: working windows per weekday in local wall-clock
time (several per day, e.g. 09:00–12:00 and 13:30–18:00), public holidays (no work) and 调休
extra working days (a weekend day worked like ``workday_weekday``, Monday by default), in one
IANA time zone (Asia/Shanghai by default). ``Calendar.always(tz)`` is the 24×7 calendar.

All arithmetic is done on UTC instants, so days of 23 or 25 hours (DST) are counted with their
real length. Inputs must be timezone-aware; they are truncated to whole seconds, so every count
is an exact integer and ``business_seconds`` is additive. Results are aware UTC datetimes.

Window ``(start, end)``: when ``end > start`` the window lies within the day; otherwise it ends at
``end`` on the next day (``(00:00, 00:00)`` is the whole day, ``(22:00, 06:00)`` a night shift).
A window belongs to the day it starts on: a holiday removes the windows that start on it.
Local times that do not exist (spring-forward gap) resolve with the offset before the change;
ambiguous ones (fall-back) take their first occurrence.

See ``docs/maintenance-engine.md`` for worked examples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_TZ",
    "Calendar",
    "add_business_seconds",
    "business_seconds",
    "segments",
]

DEFAULT_TZ = "Asia/Shanghai"
#: ``add_business_seconds`` gives up after this many consecutive days without working time.
MAX_IDLE_DAYS = 3700
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)

Interval = tuple[datetime, datetime]
Windows = dict[int, list[tuple[time, time]]]


@dataclass(frozen=True)
class Calendar:
    """When an SLA clock runs. ``windows`` maps weekday (0 = Monday) to local time windows."""

    tz: str
    windows: Windows = field(hash=False)
    holidays: frozenset[date]
    workdays: frozenset[date] = frozenset()
    #: The weekday whose windows a 调休 working day (in ``workdays``) uses.
    workday_weekday: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", ZoneInfo(self.tz))  # raises on an unknown zone
        for weekday, day_windows in self.windows.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday} is not in 0..6")
            for start, end in day_windows:
                if start.tzinfo is not None or end.tzinfo is not None:
                    raise ValueError("window times are local wall-clock times, without tzinfo")
                if start.microsecond or end.microsecond:
                    raise ValueError("window times are whole seconds")
        if self.workday_weekday not in range(7):
            raise ValueError("workday_weekday is not in 0..6")
        if self.holidays & self.workdays:
            raise ValueError("a date cannot be both a holiday and a working day")

    @property
    def zone(self) -> ZoneInfo:
        zone: ZoneInfo = self.__dict__["_zone"]
        return zone

    @classmethod
    def always(cls, tz: str = DEFAULT_TZ) -> Calendar:
        """24×7: every second counts."""
        return cls(tz=tz, windows={d: [(time(0), time(0))] for d in range(7)}, holidays=frozenset())

    @classmethod
    def working_week(
        cls,
        windows: Sequence[tuple[time, time]],
        *,
        tz: str = DEFAULT_TZ,
        weekdays: Sequence[int] = (0, 1, 2, 3, 4),
        holidays: frozenset[date] = frozenset(),
        workdays: frozenset[date] = frozenset(),
    ) -> Calendar:
        """The same ``windows`` on each of ``weekdays`` (Monday to Friday by default)."""
        return cls(
            tz=tz,
            windows={d: list(windows) for d in weekdays},
            holidays=holidays,
            workdays=workdays,
        )

    def day_intervals(self, day: date) -> list[Interval]:
        """The UTC intervals of the windows starting on local date ``day``, sorted, merged."""
        if day in self.holidays:
            return []
        weekday = self.workday_weekday if day in self.workdays else day.weekday()
        zone = self.zone
        out: list[Interval] = []
        for start, end in self.windows.get(weekday, ()):
            local_start = datetime.combine(day, start, tzinfo=zone)
            local_end = datetime.combine(day if end > start else day + _ONE_DAY, end, tzinfo=zone)
            s, e = local_start.astimezone(UTC), local_end.astimezone(UTC)
            if e > s:
                out.append((s, e))
        return _merge(out)


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


def _merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _pauses(pauses: Sequence[tuple[datetime, datetime]]) -> list[Interval]:
    return _merge(
        [(s, e) for s, e in ((_utc(a, "pause"), _utc(b, "pause")) for a, b in pauses) if e > s]
    )


def _windows(calendar: Calendar, start: datetime, end: datetime | None) -> Iterator[Interval]:
    """Working intervals clipped to ``[start, end)`` (``end`` None: without end), in order,
    disjoint; adjacent ones (e.g. consecutive days of a 24×7 calendar) are not joined."""
    zone = calendar.zone
    # A window starting the day before may run past midnight into ``start``'s day.
    day = start.astimezone(zone).date() - _ONE_DAY
    last_day = end.astimezone(zone).date() if end is not None else None
    high = start  # end of the last interval yielded: overlaps are clipped, never counted twice
    idle = 0
    while last_day is None or day <= last_day:
        found = False
        for s, e in calendar.day_intervals(day):
            s, e = max(s, high), e if end is None else min(e, end)
            if e <= s:
                continue
            found = True
            yield s, e
            high = e
        if end is None:
            idle = 0 if found else idle + 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError("the calendar has no working time")
        day += _ONE_DAY


def _subtract(windows: Iterator[Interval], pauses: list[Interval]) -> Iterator[Interval]:
    """``windows`` minus the (sorted, merged) ``pauses``."""
    i = 0
    for s, e in windows:
        while i < len(pauses) and pauses[i][1] <= s:
            i += 1
        k = i
        while s < e:
            if k < len(pauses) and pauses[k][0] < e:
                ps, pe = pauses[k]
                if ps > s:
                    yield (s, ps)
                s = max(s, pe)
                k += 1
            else:
                yield (s, e)
                break


def segments(
    calendar: Calendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> list[Interval]:
    """The counted business intervals within ``[start, end)`` (UTC, sorted, disjoint, adjacent
    ones joined)."""
    s, e = _utc(start, "start"), _utc(end, "end")
    if e <= s:
        return []
    out: list[Interval] = []
    for a, b in _subtract(_windows(calendar, s, e), _pauses(pauses)):
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def business_seconds(
    calendar: Calendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> int:
    """Seconds of working time between ``start`` and ``end`` outside ``pauses`` (0 if end ≤ start)."""
    return sum((e - s) // _ONE_SECOND for s, e in segments(calendar, start, end, pauses))


def add_business_seconds(
    calendar: Calendar,
    start: datetime,
    seconds: int,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> datetime:
    """The earliest instant ``d`` with ``business_seconds(calendar, start, d, pauses) == seconds``
    (the deadline of an SLA of ``seconds`` working seconds started at ``start``), in UTC."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    cursor = _utc(start, "start")
    if seconds == 0:
        return cursor
    remaining = seconds
    pause_list = _pauses(pauses)
    while True:
        # Step over a pause in force at the cursor; the next one bounds the stretch below.
        for ps, pe in pause_list:
            if ps <= cursor < pe:
                cursor = pe
        pause_list = [p for p in pause_list if p[1] > cursor]
        stop = pause_list[0][0] if pause_list else None
        for s, e in _windows(calendar, cursor, stop):
            length = (e - s) // _ONE_SECOND
            if length >= remaining:
                return s + timedelta(seconds=remaining)
            remaining -= length
        # Reached the next pause (a stretch without end only stops by returning or raising).
        assert pause_list
        cursor = pause_list[0][1]
