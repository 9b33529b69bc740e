"""Masking of amounts and the chart geometry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from anzu.dashboards import access as kpi_access
from anzu.dashboards import selectors
from anzu.dashboards.presenters import bar_chart, present_collections
from anzu.dashboards.selectors import KpiParams

PARAMS = KpiParams(as_of=dt.date(2026, 3, 10), start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 10))


def test_amounts_hidden_without_amounts_view(
    ledger: Any, finance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = selectors.collection_kpis(finance, PARAMS)
    monkeypatch.setattr(kpi_access, "sees_amounts", lambda user: False)
    shown = present_collections(finance, data)
    assert shown["amounts_hidden"] is True
    assert shown["overdue_by_amount"] == {
        "due_amount": None,
        "overdue_amount": None,
        "rate": Decimal("42.49"),
    }
    assert {b["amount"] for b in shown["aging"]["buckets"]} == {None}
    assert [b["count"] for b in shown["aging"]["buckets"]] == [2, 1, 0, 1]
    assert {r["amount"] for r in shown["collection_by_stage"]["stages"]} == {None}
    assert shown["collection_by_stage"]["total"] is None
    assert {p["collected"] for p in shown["trend"]} == {None}
    assert shown["trend"][-1]["overdue_rate"] == Decimal("42.49")


def test_amounts_shown_with_amounts_view(ledger: Any, finance: Any) -> None:
    shown = present_collections(finance, selectors.collection_kpis(finance, PARAMS))
    assert shown["amounts_hidden"] is False
    assert shown["overdue_by_amount"]["overdue_amount"] == Decimal("8200.00")


def test_bar_chart_scales_to_the_largest_value() -> None:
    trend = [
        {"month": "2026-01", "v": Decimal("50.00")},
        {"month": "2026-02", "v": None},
        {"month": "2026-03", "v": Decimal("100.00")},
        {"month": "2026-04", "v": Decimal("0.00")},
    ]
    chart = bar_chart(trend, "v")
    assert (chart["width"], chart["height"]) == (720, 200)
    heights = [b["height"] for b in chart["bars"]]
    # Plot height 200 − 16 − 28 = 156.
    assert heights == [78.0, 0.0, 156.0, 0.0]
    assert [b["y"] for b in chart["bars"]] == [94.0, 172.0, 16.0, 172.0]
    assert chart["bars"][0]["x"] < chart["bars"][1]["x"]


def test_bar_chart_all_empty() -> None:
    chart = bar_chart([{"month": "2026-01", "v": None}], "v")
    assert chart["bars"][0]["height"] == 0.0
