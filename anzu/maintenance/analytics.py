"""Work-order analytics (read-only selectors): monthly metrics with a period comparison, the
building × category × month heatmap, defective equipment batches and the operations map.

Every figure is computed set-based in SQL (conditional aggregates grouped in the database); only
the grouped rows are shaped in Python. The definitions are in ``docs/maintenance.md``
("Analytics"). Selectors take an organization id and an optional scope filter so the pages, the
API and the ``anzu workorders`` command share them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Greatest, RowNumber, TruncDate, TruncMonth

from anzu.common import clock
from anzu.core.models import Organization
from anzu.maintenance.categories import DEFAULT_CATEGORIES
from anzu.maintenance.choices import OPEN_STATUSES, TicketStatus
from anzu.maintenance.engine.batches import BatchExposure, poisson_flags, unit_months
from anzu.maintenance.models import Category, Rating, Ticket
from anzu.portfolio.choices import EquipmentType
from anzu.portfolio.models import Building, Equipment

TYPE_LABELS = dict(EquipmentType.choices)

#: Names of the top-level categories (data, in Chinese like the categories themselves).
TOP_NAMES = {code: name for code, name, parent, _skill in DEFAULT_CATEGORIES if parent is None}

#: A first response within this delay counts in ``response_within_2h_rate``.
FAST_RESPONSE = dt.timedelta(hours=2)

METRIC_KEYS = (
    "tickets_created",
    "avg_response_hours",
    "response_within_2h_rate",
    "same_day_close_rate",
    "repeat_rate",
    "avg_rating",
    "deflection_rate",
)


@dataclass(frozen=True)
class Filters:
    """Optional filters: a project, a top-level category code, an assigned engineer."""

    project_id: int | None = None
    category: str = ""
    engineer_id: int | None = None


# Periods ---------------------------------------------------------------------------------------


def parse_month(value: str) -> dt.date:
    """``"YYYY-MM"`` → the first day of that month; ValueError otherwise."""
    parsed = dt.datetime.strptime(value, "%Y-%m")  # noqa: DTZ007 - a calendar month, no time
    return parsed.date().replace(day=1)


def month_end(first: dt.date) -> dt.date:
    """The last day of the month starting on ``first``."""
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def add_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def org_tz(organization_id: int) -> Any:
    name = Organization.objects.filter(pk=organization_id).values_list("time_zone", flat=True)
    return clock.business_tz(name.first())


def _bounds(tz: Any, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Business dates ``start``..``end`` (inclusive) as a half-open UTC-comparable interval."""
    lower = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return lower, upper


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


# Base querysets --------------------------------------------------------------------------------


def prefixed(q: Q, prefix: str) -> Q:
    """``q`` with every lookup prefixed (``project_id__in`` → ``ticket__project_id__in``), to
    apply a ticket filter from a related model."""
    clone = Q()
    clone.connector = q.connector
    clone.negated = q.negated
    clone.children = [
        (prefix + child[0], child[1])
        if isinstance(child, tuple)
        else prefixed(cast(Q, child), prefix)
        for child in q.children
    ]
    return clone


def ticket_q(
    organization_id: int,
    *,
    scope: Q | None = None,
    filters: Filters | None = None,
    prefix: str = "",
) -> Q:
    """The filter of the organization's tickets within ``scope`` (a Q on
    project_id/building_id) and ``filters``; ``prefix`` applies it through a relation.

    A category filter becomes the ids of the category and its subcategories (one small query),
    so the database filters the ticket table by ``category_id`` without a join.
    """
    q = Q(organization_id=organization_id)
    if scope is not None:
        q &= scope
    f = filters or Filters()
    if f.project_id is not None:
        q &= Q(project_id=f.project_id)
    if f.category:
        ids = list(
            Category.objects.filter(organization_id=organization_id)
            .filter(Q(code=f.category) | Q(code__startswith=f.category + "."))
            .values_list("id", flat=True)
        )
        q &= Q(category_id__in=ids)
    if f.engineer_id is not None:
        q &= Q(assigned_engineer_id=f.engineer_id)
    return prefixed(q, prefix) if prefix else q


def tickets_base(
    organization_id: int, *, scope: Q | None = None, filters: Filters | None = None
) -> QuerySet[Ticket]:
    """The organization's tickets within ``scope`` (a Q on project_id/building_id) and filters."""
    return Ticket.objects.filter(ticket_q(organization_id, scope=scope, filters=filters))


# Metrics ---------------------------------------------------------------------------------------


def metrics(
    organization_id: int,
    start: dt.date,
    end: dt.date,
    *,
    filters: Filters | None = None,
    scope: Q | None = None,
    tz: Any = None,
) -> dict[str, Any]:
    """The work-order metrics of business dates ``start``..``end`` (inclusive).

    Three queries: one conditional aggregate over the tickets, one over the ratings, and the
    knowledge base's deflection statistics.
    """
    tz = tz or org_tz(organization_id)
    lower, upper = _bounds(tz, start, end)
    where = ticket_q(organization_id, scope=scope, filters=filters)
    base = Ticket.objects.filter(where)
    created = Q(reported_at__gte=lower, reported_at__lt=upper)
    responded = Q(first_response_at__gte=lower, first_response_at__lt=upper)
    completed = Q(completed_at__gte=lower, completed_at__lt=upper)
    row = (
        base.filter(created | responded | completed)
        .annotate(
            response=ExpressionWrapper(
                F("first_response_at") - F("reported_at"), output_field=DurationField()
            ),
            reported_day=TruncDate("reported_at", tzinfo=tz),
            completed_day=TruncDate("completed_at", tzinfo=tz),
        )
        .aggregate(
            created=Count("id", filter=created),
            repeats=Count("id", filter=created & Q(repeat_of__isnull=False)),
            responded=Count("id", filter=responded),
            fast=Count(
                "id", filter=responded & Q(first_response_at__lte=F("reported_at") + FAST_RESPONSE)
            ),
            avg_response=Avg("response", filter=responded),
            completed=Count("id", filter=completed),
            same_day=Count("id", filter=completed & Q(completed_day=F("reported_day"))),
        )
    )
    # Ratings of the period joined to their tickets (not "ticket in all tickets of the
    # organization"), so the database starts from the ratings' dates.
    rating = Rating.objects.filter(
        prefixed(where, "ticket__"), at__gte=lower, at__lt=upper
    ).aggregate(n=Count("id"), avg=Avg("score"))
    deflection = _deflection(organization_id, start, end, filters)
    avg_response: dt.timedelta | None = row["avg_response"]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "tickets_created": row["created"],
        "repeat_tickets": row["repeats"],
        "repeat_rate": _rate(row["repeats"], row["created"]),
        "responded": row["responded"],
        "avg_response_hours": (
            round(avg_response.total_seconds() / 3600, 2) if avg_response is not None else None
        ),
        "responded_within_2h": row["fast"],
        "response_within_2h_rate": _rate(row["fast"], row["responded"]),
        "completed": row["completed"],
        "completed_same_day": row["same_day"],
        "same_day_close_rate": _rate(row["same_day"], row["completed"]),
        "ratings": rating["n"],
        "avg_rating": round(float(rating["avg"]), 2) if rating["avg"] is not None else None,
        "deflection_shown": deflection["shown"],
        "deflection_solved": deflection["solved"],
        "deflection_rate": _rate(deflection["solved"], deflection["shown"]),
    }


def _deflection(
    organization_id: int, start: dt.date, end: dt.date, filters: Filters | None
) -> dict[str, int]:
    from anzu.maintenance.knowledge.selectors import deflection_stats

    stats = deflection_stats(organization_id, start, end)
    category = filters.category if filters else ""
    if not category:
        return {"shown": int(stats["total"]["shown"]), "solved": int(stats["total"]["solved"])}
    items = [
        i
        for i in stats["items"]
        if i["category_code"] == category or str(i["category_code"]).startswith(category + ".")
    ]
    return {"shown": sum(i["shown"] for i in items), "solved": sum(i["solved"] for i in items)}


def month_metrics(
    organization_id: int, month: dt.date, *, filters: Filters | None = None, scope: Q | None = None
) -> dict[str, Any]:
    """The metrics of one calendar month (``month`` is its first day)."""
    result = metrics(organization_id, month, month_end(month), filters=filters, scope=scope)
    return {"month": month.strftime("%Y-%m"), **result}


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``metric | period A | period B | change`` (change = B − A; None if either is None)."""
    rows = []
    for key in METRIC_KEYS:
        va, vb = a.get(key), b.get(key)
        change = round(vb - va, 4) if va is not None and vb is not None else None
        rows.append({"metric": key, "a": va, "b": vb, "change": change})
    return rows


# Heatmap ---------------------------------------------------------------------------------------


def heatmap(
    organization_id: int,
    first_month: dt.date,
    last_month: dt.date,
    *,
    filters: Filters | None = None,
    scope: Q | None = None,
) -> dict[str, Any]:
    """Tickets reported per building × top-level category × month (one grouped query)."""
    tz = org_tz(organization_id)
    lower, upper = _bounds(tz, first_month, month_end(last_month))
    months: list[str] = []
    m = first_month
    while m <= last_month:
        months.append(m.strftime("%Y-%m"))
        m = add_months(m, 1)
    # Grouped by building id, top-level category and month without joins: the top-level code
    # is a CASE over the category ids (one small query), the building names come afterwards.
    by_top: dict[str, list[int]] = defaultdict(list)
    for pk, code, parent in Category.objects.filter(organization_id=organization_id).values_list(
        "id", "code", "parent__code"
    ):
        by_top[parent or code].append(pk)
    top_case = Case(
        *(When(category_id__in=ids, then=Value(top)) for top, ids in sorted(by_top.items())),
        default=Value(""),
        output_field=CharField(),
    )
    grouped = (
        tickets_base(organization_id, scope=scope, filters=filters)
        .filter(reported_at__gte=lower, reported_at__lt=upper)
        .annotate(
            top=top_case,
            # The local month as a date: no time zone to convert per row in Python.
            month=TruncMonth("reported_at", tzinfo=tz, output_field=DateField()),
        )
        .values("building_id", "top", "month")
        .annotate(n=Count("id"))
        .order_by()
    )
    cells: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    labels: dict[Any, str] = {}
    for building_id, top, month, n in grouped.values_list("building_id", "top", "month", "n"):
        label = labels.get(month)
        if label is None:
            label = labels[month] = month.strftime("%Y-%m")
        counts = cells[(building_id, top)]
        counts[label] = counts.get(label, 0) + int(n)
    names: dict[int, str] = dict(
        Building.objects.filter(pk__in={b for b, _top in cells}).values_list("id", "name")
    )
    rows: list[dict[str, Any]] = []
    peak = 0
    for (building_id, top), counts in sorted(
        cells.items(), key=lambda kv: (names[kv[0][0]], kv[0][0], kv[0][1])
    ):
        values = [counts.get(month, 0) for month in months]
        peak = max([peak, *values])
        rows.append(
            {
                "building_id": building_id,
                "building": names[building_id],
                "category": top,
                "category_name": TOP_NAMES.get(top, top),
                "counts": values,
                "total": sum(values),
            }
        )
    return {"months": months, "rows": rows, "max": peak}


def _shade(value: int, peak: int) -> str:
    """White → deep red by ``value / peak``."""
    if value <= 0 or peak <= 0:
        return "#f6f6f6"
    t = value / peak
    low, high = (255, 237, 222), (165, 15, 21)
    rgb = [round(lo + (hi - lo) * t) for lo, hi in zip(low, high, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def heatmap_svg_cells(
    data: dict[str, Any], *, cell: int = 36, label_width: int = 220
) -> dict[str, Any]:
    """Positions and colours of the heat grid, for the template to draw as SVG."""
    header = 28
    cols = [
        {"x": label_width + i * cell + cell / 2, "label": month[2:]}
        for i, month in enumerate(data["months"])
    ]
    rects = []
    labels = []
    for r, row in enumerate(data["rows"]):
        y = header + r * cell
        labels.append(
            {"y": y + cell / 2 + 4, "text": f"{row['building']} · {row['category_name']}"}
        )
        for c, count in enumerate(row["counts"]):
            rects.append(
                {
                    "x": label_width + c * cell,
                    "y": y,
                    "fill": _shade(count, data["max"]),
                    "count": count,
                    "dark": data["max"] > 0 and count / data["max"] > 0.55,
                    "tx": label_width + c * cell + cell / 2,
                    "ty": y + cell / 2 + 4,
                }
            )
    return {
        "width": label_width + max(1, len(cols)) * cell + 4,
        "height": header + max(1, len(data["rows"])) * cell + 4,
        "cell": cell - 2,
        "cols": cols,
        "rects": rects,
        "labels": labels,
    }


# Defective batches -----------------------------------------------------------------------------


def defective_batches(
    organization_id: int,
    start: dt.date,
    end: dt.date,
    *,
    scope: Q | None = None,
    alpha: float = 0.01,
    min_failures: int = 3,
    evidence_limit: int = 100,
) -> list[dict[str, Any]]:
    """Equipment batches failing more often than the rest of their equipment type's fleet.

    A *failure* is a ticket linked to a piece of equipment (``Ticket.equipment``), reported in
    ``start``..``end`` and not cancelled. The *exposure* of a piece is its unit-months in that
    period from its install date (pieces without an install date are left out). A batch is
    ``(type, brand, model, batch)``; batches are tested with ``engine.batches.poisson_flags``
    against the other batches of the same equipment type. Three grouped queries.

    A flagged batch lists its latest ``evidence_limit`` work orders (oldest first) as evidence;
    ``failures`` counts them all.
    """
    tz = org_tz(organization_id)
    lower, upper = _bounds(tz, start, end)
    period_end = end + dt.timedelta(days=1)
    equipment = Equipment.objects.filter(
        organization_id=organization_id, installed_on__isnull=False, installed_on__lt=period_end
    )
    if scope is not None:
        equipment = equipment.filter(scope)
    fields = ("type", "brand", "model", "batch")
    exposure: dict[tuple[str, ...], float] = defaultdict(float)
    pieces: dict[tuple[str, ...], int] = defaultdict(int)
    # Pieces installed before the period all count from its start: grouped by the later of the
    # install date and the start, a batch is one row plus one per install date in the period.
    for row in (
        equipment.annotate(counted_from=Greatest("installed_on", Value(start)))
        .values(*fields, "counted_from")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = tuple(row[f] for f in fields)
        exposure[key] += row["n"] * unit_months(row["counted_from"], start, period_end)
        pieces[key] += row["n"]
    # The tickets of the period joined to their equipment (the same conditions as
    # ``equipment``), so the database starts from the tickets' dates.
    on_equipment = Q(
        equipment__organization_id=organization_id,
        equipment__installed_on__isnull=False,
        equipment__installed_on__lt=period_end,
    )
    if scope is not None:
        on_equipment &= prefixed(scope, "equipment__")
    failures_qs = (
        Ticket.objects.filter(
            on_equipment,
            organization_id=organization_id,
            reported_at__gte=lower,
            reported_at__lt=upper,
        )
        .exclude(status=TicketStatus.CANCELLED)
        .values(*(f"equipment__{f}" for f in fields))
        .annotate(n=Count("id"))
        .order_by()
    )
    failures = {tuple(r[f"equipment__{f}"] for f in fields): int(r["n"]) for r in failures_qs}
    by_type: dict[str, list[BatchExposure]] = defaultdict(list)
    for key in sorted(exposure):
        by_type[key[0]].append(
            BatchExposure(key=key, failures=failures.get(key, 0), unit_months=exposure[key])
        )
    results: list[dict[str, Any]] = []
    for rows in by_type.values():
        for f in poisson_flags(rows, alpha=alpha, min_failures=min_failures):
            batch_key = cast(tuple[str, str, str, str], f.key)
            kind, brand, model, batch = batch_key
            results.append(
                {
                    "type": kind,
                    "type_label": str(TYPE_LABELS.get(kind, kind)),
                    "brand": brand,
                    "model": model,
                    "batch": batch,
                    "pieces": pieces[batch_key],
                    "failures": f.failures,
                    "unit_months": round(f.unit_months, 2),
                    "rate": _round(f.rate, 4),
                    "baseline_rate": _round(f.baseline_rate, 4),
                    "expected": _round(f.expected, 2),
                    "ratio": _round(f.ratio, 2),
                    "p_value": f.p_value,
                    "p_adjusted": f.p_adjusted,
                    "flagged": f.flagged,
                    "tested": f.tested,
                    "tickets": [],
                }
            )
    results.sort(key=lambda r: (not r["flagged"], r["p_value"] is None, r["p_value"] or 0.0))
    flagged = {(r["type"], r["brand"], r["model"], r["batch"]): r for r in results if r["flagged"]}
    if flagged:
        q = Q()
        for kind, brand, model, batch in flagged:
            q |= Q(
                equipment__type=kind,
                equipment__brand=brand,
                equipment__model=model,
                equipment__batch=batch,
            )
        batch_of = [f"equipment__{f}" for f in fields]
        evidence = (
            Ticket.objects.filter(
                q,
                on_equipment,
                organization_id=organization_id,
                reported_at__gte=lower,
                reported_at__lt=upper,
            )
            .exclude(status=TicketStatus.CANCELLED)
            .annotate(
                recent=Window(
                    RowNumber(),
                    partition_by=[F(name) for name in batch_of],
                    order_by=[F("reported_at").desc(), F("id").desc()],
                )
            )
            .filter(recent__lte=evidence_limit)
            .order_by("reported_at", "id")
            .values(
                "id",
                "number",
                "reported_at",
                "unit__code",
                "building__name",
                *(f"equipment__{f}" for f in fields),
            )
        )
        for t in evidence:
            key = tuple(t[f"equipment__{f}"] for f in fields)
            flagged[key]["tickets"].append(
                {
                    "id": t["id"],
                    "number": t["number"],
                    "reported_at": t["reported_at"],
                    "unit": f"{t['building__name']} {t['unit__code']}",
                }
            )
    return results


def _round(value: float | None, places: int) -> float | None:
    return None if value is None or math.isnan(value) else round(value, places)


# Operations map --------------------------------------------------------------------------------


def ops_map(
    organization_id: int,
    *,
    scope: Q | None = None,
    building_scope: Q | None = None,
    width: int = 800,
    height: int = 500,
    pad: int = 40,
) -> dict[str, Any]:
    """Buildings with coordinates plotted on an equirectangular plane centred on the portfolio,
    with open-ticket counts.

    ``building_scope`` is a Q on ``project_id``/``id`` of Building; two queries.
    """
    buildings = Building.objects.filter(
        organization_id=organization_id, latitude__isnull=False, longitude__isnull=False
    )
    if building_scope is not None:
        buildings = buildings.filter(building_scope)
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in buildings.order_by("project__name", "name", "id").values(
            "id", "name", "project__name", "latitude", "longitude"
        )
    ]
    open_counts = dict(
        tickets_base(organization_id, scope=scope)
        .filter(status__in=OPEN_STATUSES, building_id__in=[r["id"] for r in rows])
        .values("building_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("building_id", "n")
    )
    points = []
    if rows:
        lats = [float(r["latitude"]) for r in rows]
        lngs = [float(r["longitude"]) for r in rows]
        k = math.cos(math.radians(sum(lats) / len(lats)))
        span_x = max((max(lngs) - min(lngs)) * k, 1e-6)
        span_y = max(max(lats) - min(lats), 1e-6)
        scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
        mid_lat, mid_lng = (max(lats) + min(lats)) / 2, (max(lngs) + min(lngs)) / 2
        peak = max(open_counts.values(), default=0)
        for r, lat, lng in zip(rows, lats, lngs, strict=True):
            n = int(open_counts.get(r["id"], 0))
            points.append(
                {
                    "id": r["id"],
                    "name": r["name"],
                    "project": r["project__name"],
                    "lat": lat,
                    "lng": lng,
                    "open": n,
                    "x": round(width / 2 + (lng - mid_lng) * k * scale, 1),
                    "y": round(height / 2 - (lat - mid_lat) * scale, 1),
                    "r": round(5 + (15 * math.sqrt(n / peak) if peak else 0), 1),
                    "fill": _shade(n, peak) if n else "#9e9e9e",
                }
            )
    return {"width": width, "height": height, "points": points}
