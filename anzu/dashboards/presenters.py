"""What a user may see of the collection KPIs, and the trend chart's geometry.

The API and the page both render :func:`present_collections`. Money is ``None`` for a role
without ``amounts.view`` (every role with ``kpi.view`` has it today; the check stays so that a
change of the capability table cannot leak amounts). Counts and rates stay visible.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from anzu.dashboards import access as kpi_access


def _money(show: bool, value: Decimal | None) -> Decimal | None:
    return value if show else None


def present_collections(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    show = kpi_access.sees_amounts(user)
    by_amount = data["overdue_by_amount"]
    aging = data["aging"]
    stages = data["collection_by_stage"]
    return {
        "as_of": data["as_of"],
        "start": data["start"],
        "end": data["end"],
        "project_id": data["project_id"],
        "amounts_hidden": not show,
        "overdue_by_amount": {
            "due_amount": _money(show, by_amount["due_amount"]),
            "overdue_amount": _money(show, by_amount["overdue_amount"]),
            "rate": by_amount["rate"],
        },
        "overdue_by_lease": dict(data["overdue_by_lease"]),
        "days_to_collect": dict(data["days_to_collect"]),
        "aging": {
            "as_of": aging["as_of"],
            "buckets": [
                {"bucket": b["bucket"], "count": b["count"], "amount": _money(show, b["amount"])}
                for b in aging["buckets"]
            ],
            "overdue_total": _money(show, aging["overdue_total"]),
            "overdue_count": aging["overdue_count"],
        },
        "collection_by_stage": {
            "stages": [
                {
                    "stage": r["stage"],
                    "name": r["name"],
                    "amount": _money(show, r["amount"]),
                    "bills": r["bills"],
                    "allocations": r["allocations"],
                }
                for r in stages["stages"]
            ],
            "total": _money(show, stages["total"]),
            "allocations": stages["allocations"],
        },
        "trend": [
            {
                "month": p["month"],
                "as_of": p["as_of"],
                "due_amount": _money(show, p["due_amount"]),
                "overdue_amount": _money(show, p["overdue_amount"]),
                "overdue_rate": p["overdue_rate"],
                "collected": _money(show, p["collected"]),
            }
            for p in data["trend"]
        ],
    }


# Chart (server-side SVG, no script) --------------------------------------------------------

CHART_WIDTH = 720
CHART_HEIGHT = 200
CHART_TOP = 16
CHART_BOTTOM = 28
CHART_LEFT = 8


def bar_chart(trend: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Bars for ``trend[i][key]`` (a Decimal or None), scaled to the largest value.

    Returns the SVG size and, per month, the bar's rectangle and its label position; a month
    without a value (hidden amount, or a rate with nothing due) has a zero-height bar.
    """
    values = [p[key] for p in trend]
    top = max((v for v in values if v is not None), default=Decimal(0))
    slot = (CHART_WIDTH - 2 * CHART_LEFT) / max(len(trend), 1)
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for i, (point, value) in enumerate(zip(trend, values, strict=True)):
        height = float(value / top) * plot if value is not None and top > 0 else 0.0
        x = CHART_LEFT + i * slot
        bars.append(
            {
                "month": point["month"],
                "value": value,
                "x": round(x + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(CHART_TOP + plot - height, 1),
                "height": round(height, 1),
                "label_x": round(x + slot / 2, 1),
                "label_y": CHART_HEIGHT - 10,
                "value_y": round(CHART_TOP + plot - height - 4, 1),
            }
        )
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars}
