"""The rent schedule of a lease: periods, amounts and due dates. Pure functions, no queries.

Rules (docs/billing.md states them for operators):

* **Lease months** are anchored on the start date: lease month ``j`` runs from
  ``add_months(start, j)`` to the day before ``add_months(start, j + 1)`` (a start on the 29th–31st
  falls on the month's last day where the month is shorter; months never drift).
* **Rent periods** (付M) are ``M`` lease months: period ``k`` covers lease months
  ``k·M … k·M + M − 1``. The last period ends on the lease's last day (its end date, or the
  termination date once terminated) and is then partial.
* **Amount**: every lease month wholly billed costs the monthly rent in force for it; a lease
  month billed only in part costs ``monthly rent × billed days ÷ days in that lease month``. For a
  lease starting on the 1st a lease month is a calendar month, so the remaining days cost
  ``days × monthly rent ÷ days in that month``. Rent-free days are not billed (a wholly rent-free
  lease month costs nothing). The sum is rounded once per bill to cents, ROUND_HALF_UP.
* **Escalation**: every ``escalation_every_months`` lease months from the start the monthly rent
  becomes ``round(previous × (1 + pct/100), cents)`` — compounding, rounded at each step.
* **Due date**: ``days_before_period`` N → ``period_start − N days``; ``day_of_month`` N → day N
  of the month the period starts in, or the period start if that is earlier.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from anzu.common.money import CENT

ONE_DAY = dt.timedelta(days=1)
HUNDRED = Decimal(100)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's last day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    month = month0 + 1
    if day.day <= 28:
        return dt.date(year, month, day.day)
    return dt.date(year, month, min(day.day, _days_in_month(year, month)))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_periods(raw: Any) -> list[tuple[dt.date, dt.date]]:
    """Rent-free periods as stored on the lease (``[{"start", "end"}]``, ISO dates)."""
    periods: list[tuple[dt.date, dt.date]] = []
    for item in raw or []:
        periods.append((dt.date.fromisoformat(item["start"]), dt.date.fromisoformat(item["end"])))
    periods.sort()
    return periods


def due_date(rule: str, value: int, period_start: dt.date) -> dt.date:
    if rule == "day_of_month":
        if not 1 <= value <= 28:
            return period_start
        return min(period_start.replace(day=value), period_start)
    return period_start - dt.timedelta(days=max(0, value))


class Period(NamedTuple):
    number: int
    start: dt.date
    end: dt.date
    amount: Decimal
    due_date: dt.date


class RentSchedule:
    """The rent periods of one lease, computed on demand from its terms."""

    def __init__(
        self,
        *,
        start: dt.date,
        last_day: dt.date,
        monthly_rent: Decimal,
        pay_months: int,
        due_rule: str,
        due_value: int,
        rent_free: list[tuple[dt.date, dt.date]] | None = None,
        escalation_pct: Decimal | None = None,
        escalation_every: int | None = None,
    ) -> None:
        self.start = start
        self.last_day = last_day
        self.monthly_rent = monthly_rent
        self.pay_months = max(1, pay_months)
        self.due_rule = due_rule
        self.due_value = due_value
        self.rent_free = rent_free or []
        self.escalation_pct = escalation_pct if escalation_every else None
        self.escalation_every = escalation_every or 0
        self._rents: list[Decimal] = [monthly_rent]
        self._full_amount = cents(monthly_rent * self.pay_months)

    def rent_for_month(self, j: int) -> Decimal:
        """Monthly rent in force in lease month ``j`` (escalated, rounded at each step)."""
        if not self.escalation_pct or self.escalation_every <= 0:
            return self.monthly_rent
        step = j // self.escalation_every
        factor = 1 + self.escalation_pct / HUNDRED
        while len(self._rents) <= step:
            self._rents.append(cents(self._rents[-1] * factor))
        return self._rents[step]

    def _free_days(self, first: dt.date, last: dt.date) -> int:
        days = 0
        for free_start, free_end in self.rent_free:
            lo = max(first, free_start)
            hi = min(last, free_end)
            if lo <= hi:
                days += (hi - lo).days + 1
        return days

    def period_start(self, k: int) -> dt.date:
        return add_months(self.start, k * self.pay_months)

    def period(self, k: int) -> Period | None:
        """Period ``k``, or None when it starts after the lease's last day."""
        start = self.period_start(k)
        if start > self.last_day:
            return None
        return self._period(k, start, add_months(self.start, (k + 1) * self.pay_months))

    def _period(self, k: int, start: dt.date, next_start: dt.date) -> Period:
        natural_end = next_start - ONE_DAY
        end = natural_end if natural_end <= self.last_day else self.last_day
        due = due_date(self.due_rule, self.due_value, start)
        if end == natural_end and not self.rent_free and not self.escalation_pct:
            # The common case: whole lease months at a constant rent.
            return Period(k, start, end, self._full_amount, due)
        total = Decimal(0)
        for j in range(k * self.pay_months, (k + 1) * self.pay_months):
            month_start = add_months(self.start, j)
            if month_start > end:
                break
            month_end = add_months(self.start, j + 1) - ONE_DAY
            length = (month_end - month_start).days + 1
            billed_end = min(month_end, end)
            days = (billed_end - month_start).days + 1
            if self.rent_free:
                days -= self._free_days(month_start, billed_end)
            rent = self.rent_for_month(j)
            if days == length:
                total += rent
            elif days > 0:
                total += rent * days / length
        return Period(k, start, end, cents(total), due)

    def periods_through(self, through: dt.date, *, first_index: int = 0) -> list[Period]:
        """Periods from ``first_index`` whose start is on or before ``through``."""
        periods: list[Period] = []
        k = first_index
        start = self.period_start(k)
        limit = min(through, self.last_day)
        while start <= limit:
            next_start = add_months(self.start, (k + 1) * self.pay_months)
            periods.append(self._period(k, start, next_start))
            k += 1
            start = next_start
        return periods

    def next_start_after(self, k: int) -> dt.date | None:
        """Start of period ``k`` if the lease still runs then, else None (billed to the end)."""
        start = self.period_start(k)
        return start if start <= self.last_day else None
