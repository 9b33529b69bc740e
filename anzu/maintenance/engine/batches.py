"""Defective-batch detection: is an equipment model/batch failing more often than the fleet?

Each batch has an exposure in unit-months (how many units, for how long) and a failure count.
For one batch under test, the baseline rate is the failure rate of the rest of the fleet
(total failures / total unit-months, *excluding* the batch itself, so a bad batch does not
raise its own baseline). Under the null hypothesis the batch's failures are
``Poisson(baseline × unit_months)``; the one-sided p-value is ``P(X ≥ failures)``. A batch is
flagged when ``p < alpha / m`` (Bonferroni over the ``m`` batches tested) and it has at least
``min_failures`` failures.

See ``docs/maintenance-engine.md`` for a worked example.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date

__all__ = ["DAYS_PER_MONTH", "BatchExposure", "BatchFinding", "poisson_flags", "unit_months"]

#: Average Gregorian month: 365.2425 / 12 days.
DAYS_PER_MONTH = 365.2425 / 12


@dataclass(frozen=True)
class BatchExposure:
    """One batch: ``key`` is typically ``(equipment model, batch code)``."""

    key: Hashable
    failures: int
    unit_months: float


@dataclass(frozen=True)
class BatchFinding:
    """The test of one batch.

    ``baseline_rate``, ``expected``, ``ratio`` and ``p_value`` are None when the batch could
    not be tested (no exposure of its own, or no exposure in the rest of the fleet); ``ratio``
    is also None when the baseline rate is 0. ``tested`` batches count in the Bonferroni
    correction; ``p_adjusted = min(1, p_value × tested batches)``.
    """

    key: Hashable
    failures: int
    unit_months: float
    rate: float | None
    baseline_rate: float | None
    expected: float | None
    ratio: float | None
    p_value: float | None
    flagged: bool
    tested: bool = True
    p_adjusted: float | None = None


def unit_months(
    install_date: date, start: date, end: date, removed_date: date | None = None
) -> float:
    """Months of exposure of one unit within the period ``[start, end)``: from the later of
    ``install_date`` and ``start`` to the earlier of ``end`` and ``removed_date``; 0 if none."""
    first = max(install_date, start)
    last = end if removed_date is None else min(end, removed_date)
    days = (last - first).days
    return days / DAYS_PER_MONTH if days > 0 else 0.0


def poisson_flags(
    rows: Sequence[BatchExposure], *, alpha: float = 0.01, min_failures: int = 3
) -> list[BatchFinding]:
    """Test every batch against the rest of the fleet; findings sorted by p-value (untested
    last), ties in input order."""
    from scipy.stats import poisson  # imported here: scipy.stats costs ~1 s at start-up

    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    for row in rows:
        if row.failures < 0 or row.unit_months < 0:
            raise ValueError(f"negative failures or exposure for batch {row.key!r}")
    total_failures = sum(r.failures for r in rows)
    total_exposure = sum(r.unit_months for r in rows)

    tested: list[bool] = []
    for r in rows:
        rest = total_exposure - r.unit_months
        tested.append(r.unit_months > 0 and rest > 1e-9 * max(1.0, total_exposure))
    m = sum(tested)

    findings: list[BatchFinding] = []
    for r, is_tested in zip(rows, tested, strict=True):
        rate = r.failures / r.unit_months if r.unit_months > 0 else None
        if not is_tested:
            findings.append(
                BatchFinding(
                    key=r.key,
                    failures=r.failures,
                    unit_months=r.unit_months,
                    rate=rate,
                    baseline_rate=None,
                    expected=None,
                    ratio=None,
                    p_value=None,
                    flagged=False,
                    tested=False,
                )
            )
            continue
        baseline = (total_failures - r.failures) / (total_exposure - r.unit_months)
        expected = baseline * r.unit_months
        # P(X >= failures) = sf(failures - 1); 1 for failures == 0.
        p = float(poisson.sf(r.failures - 1, expected)) if r.failures > 0 else 1.0
        findings.append(
            BatchFinding(
                key=r.key,
                failures=r.failures,
                unit_months=r.unit_months,
                rate=rate,
                baseline_rate=baseline,
                expected=expected,
                ratio=(rate / baseline) if rate is not None and baseline > 0 else None,
                p_value=p,
                flagged=p < alpha / m and r.failures >= min_failures,
                tested=True,
                p_adjusted=min(1.0, p * m),
            )
        )
    order = sorted(
        range(len(findings)),
        key=lambda i: (findings[i].p_value is None, findings[i].p_value or 0.0, i),
    )
    return [findings[i] for i in order]
