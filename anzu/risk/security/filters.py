"""The report's and the dashboard's filters, parsed the same way for pages and the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anzu.common import validate as v
from anzu.common.errors import ValidationFailed
from anzu.risk.security import selectors


def report_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :func:`selectors.shadow_leases`; a bad value names its field."""
    since = v.date(params.get("since") or None, field="since", required=False)
    until = v.date(params.get("until") or None, field="until", required=False)
    reason = str(params.get("reason") or "").strip()
    if reason and reason not in selectors.REASONS:
        raise ValidationFailed("invalid_choice", "Unknown reason.", field="reason")
    raw_hours = params.get("risk_hours")
    risk_hours = (
        selectors.DEFAULT_RISK_HOURS
        if raw_hours in (None, "")
        else v.integer(raw_hours, field="risk_hours", minimum=1, maximum=720)
    )
    hours = selectors.parse_working_hours(
        params.get("work_start"), params.get("work_end"), params.get("work_days")
    )
    return {
        "since": since,
        "until": until,
        "reason": reason,
        "hours": hours,
        "risk_hours": risk_hours,
    }


def period_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "since": v.date(params.get("since") or None, field="since", required=False),
        "until": v.date(params.get("until") or None, field="until", required=False),
    }
