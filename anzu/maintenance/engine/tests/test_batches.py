"""Defective-batch Poisson test, checked against an independent tail sum."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anzu.maintenance.engine.batches import (
    DAYS_PER_MONTH,
    BatchExposure,
    BatchFinding,
    poisson_flags,
    unit_months,
)


def tail(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu): the upper tail summed term by term with lgamma."""
    if k <= 0:
        return 1.0
    if mu == 0:
        return 0.0
    # Sum from k upwards until the terms vanish (they decrease once j > mu).
    total, j = 0.0, k
    while True:
        term = math.exp(j * math.log(mu) - mu - math.lgamma(j + 1))
        total += term
        if j > mu and term < total * 1e-17:
            return total
        j += 1


FLEET = [
    BatchExposure(("AC-35", "2023A"), 100, 5000.0),
    BatchExposure(("AC-35", "2023B"), 80, 4000.0),
    BatchExposure(("WH-60", "2024A"), 60, 3000.0),
    BatchExposure(("WH-60", "2024B"), 60, 600.0),  # 0.10 per unit-month
]


def by_key(findings: list[BatchFinding]) -> dict[object, BatchFinding]:
    return {f.key: f for f in findings}


def test_known_defective_batch_is_flagged() -> None:
    findings = poisson_flags(FLEET)
    bad = findings[0]
    assert bad.key == ("WH-60", "2024B")
    assert bad.flagged is True
    assert bad.rate == pytest.approx(0.10)
    assert bad.baseline_rate == pytest.approx(240 / 12000)  # 0.02, the rest of the fleet
    assert bad.expected == pytest.approx(12.0)
    assert bad.ratio == pytest.approx(5.0)
    assert bad.p_value == pytest.approx(tail(60, 12.0), rel=1e-9)
    assert bad.p_value is not None and bad.p_value < 1e-20
    assert bad.p_adjusted == pytest.approx(4 * bad.p_value, rel=1e-12)
    others = [f for f in findings if f.key != bad.key]
    assert [f.flagged for f in others] == [False, False, False]
    # The healthy batches' baselines include the defective one, so they look good.
    a = by_key(findings)[("AC-35", "2023A")]
    assert a.baseline_rate == pytest.approx(200 / 7600)
    assert a.p_value == pytest.approx(tail(100, 5000 * 200 / 7600), rel=1e-9)


def test_p_values_match_the_independent_sum() -> None:
    for f in poisson_flags(FLEET):
        assert f.expected is not None and f.p_value is not None
        assert f.p_value == pytest.approx(tail(f.failures, f.expected), rel=1e-9, abs=1e-300)


def test_min_failures_keeps_a_tiny_batch_from_being_flagged() -> None:
    rows = [
        BatchExposure(("LOCK-1", "A"), 10, 20000.0),  # 0.0005 per unit-month
        BatchExposure(("LOCK-1", "B"), 2, 100.0),  # expected 0.05
    ]
    small = by_key(poisson_flags(rows))[("LOCK-1", "B")]
    assert small.expected == pytest.approx(0.05)
    p = 1 - math.exp(-0.05) * (1 + 0.05)
    assert small.p_value == pytest.approx(p, rel=1e-9)
    assert small.p_value is not None and small.p_value < 0.01 / 2
    assert small.flagged is False  # 2 failures < min_failures = 3
    assert by_key(poisson_flags(rows, min_failures=2))[("LOCK-1", "B")].flagged is True


def test_one_failure_in_a_small_batch_is_not_flagged() -> None:
    rows = [*FLEET, BatchExposure(("FR-1", "X"), 1, 10.0)]
    small = by_key(poisson_flags(rows))[("FR-1", "X")]
    assert small.rate == pytest.approx(0.1)
    assert small.flagged is False


def test_bonferroni_counts_the_tested_batches() -> None:
    # The same suspect batch (12 failures where the fleet rate 0.02 expects 5) is flagged in a
    # family of 2 batches at alpha 0.02 (threshold 0.01) but not in a family of 5 (0.004).
    suspect = BatchExposure(("M", "suspect"), 12, 250.0)
    p = tail(12, 5.0)
    assert 0.004 < p < 0.01
    two = by_key(poisson_flags([BatchExposure(("M", "base"), 100, 5000.0), suspect], alpha=0.02))
    assert two[("M", "suspect")].p_value == pytest.approx(p, rel=1e-9)
    assert two[("M", "suspect")].p_adjusted == pytest.approx(2 * p, rel=1e-9)
    assert two[("M", "suspect")].flagged is True
    healthy = [BatchExposure(("M", f"h{i}"), 25, 1250.0) for i in range(4)]
    five = by_key(poisson_flags([*healthy, suspect], alpha=0.02))
    assert five[("M", "suspect")].p_value == pytest.approx(p, rel=1e-9)
    assert five[("M", "suspect")].p_adjusted == pytest.approx(5 * p, rel=1e-9)
    assert five[("M", "suspect")].flagged is False
    # At the default alpha 0.01 it is not flagged even among two.
    assert (
        by_key(poisson_flags([BatchExposure(("M", "base"), 100, 5000.0), suspect]))[
            ("M", "suspect")
        ].flagged
        is False
    )


def test_zero_baseline_flags_any_batch_with_enough_failures() -> None:
    rows = [BatchExposure("good", 0, 1000.0), BatchExposure("bad", 3, 10.0)]
    bad = by_key(poisson_flags(rows))["bad"]
    assert bad.baseline_rate == 0.0
    assert bad.expected == 0.0
    assert bad.p_value == 0.0
    assert bad.ratio is None
    assert bad.flagged is True
    good = by_key(poisson_flags(rows))["good"]
    assert good.p_value == 1.0
    assert good.ratio == 0.0


def test_untested_batches() -> None:
    [alone] = poisson_flags([BatchExposure("only", 9, 100.0)])
    assert alone.tested is False
    assert alone.p_value is None
    assert alone.flagged is False
    rows = [BatchExposure("a", 5, 100.0), BatchExposure("b", 5, 100.0), BatchExposure("c", 0, 0.0)]
    findings = poisson_flags(rows)
    assert findings[-1].key == "c"
    assert findings[-1].tested is False
    assert findings[-1].rate is None
    assert [f.p_adjusted is not None for f in findings] == [True, True, False]
    assert poisson_flags([]) == []


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="alpha"):
        poisson_flags(FLEET, alpha=0)
    with pytest.raises(ValueError, match="negative"):
        poisson_flags([BatchExposure("x", -1, 10.0)])


def test_unit_months() -> None:
    jan = date(2026, 1, 1)
    assert unit_months(date(2025, 6, 1), jan, date(2026, 2, 1)) == pytest.approx(
        31 / DAYS_PER_MONTH
    )
    assert unit_months(date(2026, 1, 16), jan, date(2026, 2, 1)) == pytest.approx(
        16 / DAYS_PER_MONTH
    )
    assert unit_months(date(2026, 3, 1), jan, date(2026, 2, 1)) == 0.0
    assert unit_months(date(2025, 1, 1), jan, date(2027, 1, 1), removed_date=date(2026, 1, 11)) == (
        pytest.approx(10 / DAYS_PER_MONTH)
    )
    assert unit_months(date(2025, 1, 1), jan, date(2026, 1, 1)) == 0.0
    assert unit_months(date(2020, 1, 1), date(2025, 1, 1), date(2026, 1, 1)) == pytest.approx(
        365 / DAYS_PER_MONTH
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.floats(1.0, 5000.0)),
        min_size=2,
        max_size=6,
    )
)
def test_p_values_against_independent_computation(rows: list[tuple[int, float]]) -> None:
    data = [BatchExposure(i, f, um) for i, (f, um) in enumerate(rows)]
    findings = poisson_flags(data)
    m = len(data)
    tf, tu = sum(f for f, _ in rows), sum(um for _, um in rows)
    for finding in findings:
        f, um = rows[finding.key]  # type: ignore[index]
        expected = (tf - f) / (tu - um) * um
        assert finding.expected == pytest.approx(expected, rel=1e-9)
        assert finding.p_value == pytest.approx(tail(f, expected), rel=1e-7, abs=1e-290)
        assert finding.flagged == (finding.p_value < 0.01 / m and f >= 3)
    ps = [x.p_value for x in findings]
    assert ps == sorted(ps)  # type: ignore[type-var]
