"""Work-order analytics pages (``workorders.analytics``): metrics with a period comparison, the
heatmap, defective batches and the operations map. Figures come from
:mod:`anzu.maintenance.analytics`, limited to the caller's organization and scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from anzu.common import clock
from anzu.core import access
from anzu.core.views import staff_view
from anzu.maintenance import analytics
from anzu.maintenance.categories import DEFAULT_CATEGORIES
from anzu.maintenance.models import EngineerProfile
from anzu.portfolio.models import Project

METRIC_LABELS = {
    "tickets_created": gettext_lazy("Work orders created"),
    "avg_response_hours": gettext_lazy("Average response time (hours)"),
    "response_within_2h_rate": gettext_lazy("First response within 2 hours"),
    "same_day_close_rate": gettext_lazy("Same-day close rate"),
    "repeat_rate": gettext_lazy("Repeat-repair rate"),
    "avg_rating": gettext_lazy("Average rating"),
    "deflection_rate": gettext_lazy("Self-help deflection rate"),
}
#: Building × category rows drawn on the heatmap page (the busiest ones).
HEATMAP_PAGE_ROWS = 60
PERCENT_METRICS = frozenset(
    {"response_within_2h_rate", "same_day_close_rate", "repeat_rate", "deflection_rate"}
)


def ticket_scope(user: Any) -> Q:
    return access.scope_of(user).q(project="project_id", building="building_id")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _month(value: str | None, default: dt.date) -> dt.date:
    try:
        return analytics.parse_month(value) if value else default
    except ValueError:
        return default


def filters_from(params: Any) -> analytics.Filters:
    category = params.get("category", "")
    tops = {code for code, _name, parent, _skill in DEFAULT_CATEGORIES if parent is None}
    return analytics.Filters(
        project_id=_int(params.get("project")),
        category=category if category in tops else "",
        engineer_id=_int(params.get("engineer")),
    )


def _choices(user: Any) -> dict[str, Any]:
    org = access.org_id(user)
    scope = access.scope_of(user)
    projects = Project.objects.filter(organization_id=org)
    if not scope.everything:
        projects = projects.filter(pk__in=scope.project_ids)
    return {
        "projects": list(projects.order_by("code", "id").values_list("id", "name")),
        "categories": [(c, n) for c, n, parent, _s in DEFAULT_CATEGORIES if parent is None],
        "engineers": [
            (p.user_id, p.user.label)
            for p in EngineerProfile.objects.filter(organization_id=org)
            .select_related("user")
            .order_by("user__username")
        ],
    }


def _format(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in PERCENT_METRICS:
        return f"{value * 100:.1f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _format_change(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in PERCENT_METRICS:
        return f"{value * 100:+.1f} pp"
    return f"{value:+g}"


@staff_view("workorders.analytics")
def analytics_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    this_month = clock.today().replace(day=1)
    month_b = _month(request.GET.get("b"), this_month)
    month_a = _month(request.GET.get("a"), analytics.add_months(month_b, -1))
    filters = filters_from(request.GET)
    org = access.org_id(user)
    scope = ticket_scope(user)
    a = analytics.month_metrics(org, month_a, filters=filters, scope=scope)
    b = analytics.month_metrics(org, month_b, filters=filters, scope=scope)
    rows = [
        {
            "key": row["metric"],
            "label": METRIC_LABELS[row["metric"]],
            "a": _format(row["metric"], row["a"]),
            "b": _format(row["metric"], row["b"]),
            "change": _format_change(row["metric"], row["change"]),
        }
        for row in analytics.compare(a, b)
    ]
    return render(
        request,
        "maintenance/analytics.html",
        {
            "rows": rows,
            "a": a,
            "b": b,
            "month_a": month_a.strftime("%Y-%m"),
            "month_b": month_b.strftime("%Y-%m"),
            "filters": filters,
            **_choices(user),
        },
    )


@staff_view("workorders.analytics")
def heatmap_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    last = _month(request.GET.get("to"), clock.today().replace(day=1))
    first = _month(request.GET.get("from"), analytics.add_months(last, -5))
    if first > last or analytics.add_months(first, 24) <= last:
        first = analytics.add_months(last, -5)
    filters = filters_from(request.GET)
    data = analytics.heatmap(
        access.org_id(user), first, last, filters=filters, scope=ticket_scope(user)
    )
    all_rows = len(data["rows"])
    if all_rows > HEATMAP_PAGE_ROWS:
        # The busiest building × category rows, kept in their order (colours stay relative to
        # the busiest cell of the whole grid); the API returns the whole grid.
        busiest = sorted(range(all_rows), key=lambda i: (-data["rows"][i]["total"], i))
        keep = sorted(busiest[:HEATMAP_PAGE_ROWS])
        data = {**data, "rows": [data["rows"][i] for i in keep]}
    return render(
        request,
        "maintenance/analytics_heatmap.html",
        {
            "data": data,
            "all_rows": all_rows,
            "svg": analytics.heatmap_svg_cells(data),
            "first": first.strftime("%Y-%m"),
            "last": last.strftime("%Y-%m"),
            "filters": filters,
            **_choices(user),
        },
    )


@staff_view("workorders.analytics")
def batches_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    today = clock.today()
    last = _month(request.GET.get("to"), today.replace(day=1))
    first = _month(request.GET.get("from"), analytics.add_months(last, -11))
    if first > last:
        first = analytics.add_months(last, -11)
    end = min(analytics.month_end(last), today)
    findings = analytics.defective_batches(
        access.org_id(user),
        first,
        end,
        scope=access.scope_of(user).q(project="building__project_id", building="building_id"),
    )
    return render(
        request,
        "maintenance/analytics_batches.html",
        {
            "findings": findings,
            "flagged": [f for f in findings if f["flagged"]],
            "first": first.strftime("%Y-%m"),
            "last": last.strftime("%Y-%m"),
            "start": first,
            "end": end,
        },
    )


@staff_view("workorders.analytics")
def ops_map_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    data = analytics.ops_map(
        access.org_id(user),
        scope=ticket_scope(user),
        building_scope=access.scope_of(user).q(project="project_id", building="id"),
    )
    return render(
        request,
        "maintenance/analytics_map.html",
        {"data": data, "total_open": sum(p["open"] for p in data["points"])},
    )
