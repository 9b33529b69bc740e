"""Work-order analytics: metric values on a hand-built month, the comparison, the CLI, the
heatmap, defective batches, the operations map, pages, API and access."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from anzu.common.testing import BuildingFactory, EquipmentFactory, UnitFactory, make_user
from anzu.maintenance import analytics
from anzu.maintenance.categories import categories_ensure
from anzu.maintenance.knowledge.models import DeflectionEvent
from anzu.maintenance.models import Rating, Ticket
from anzu.maintenance.tests.conftest import client_for

UTC = dt.UTC
MARCH = dt.date(2026, 3, 1)
FEB = dt.date(2026, 2, 1)


def at(day: str, hour: float) -> dt.datetime:
    """A UTC instant: ``at("2026-03-02", 1)`` is 2026-03-02 01:00 UTC (09:00 in Shanghai)."""
    base = dt.datetime.fromisoformat(day).replace(tzinfo=UTC)
    return base + dt.timedelta(hours=hour)


def make_ticket(
    org: Any, unit: Any, code: str, number: str, reported: dt.datetime, **kw: Any
) -> Ticket:
    cats = categories_ensure(org.pk)
    return Ticket.objects.create(
        organization=org,
        project_id=unit.project_id,
        building_id=unit.building_id,
        unit=unit,
        number=number,
        category=cats[code],
        channel="phone",
        status=kw.pop("status", "completed" if kw.get("completed_at") else "accepted"),
        description="test",
        reported_at=reported,
        **kw,
    )


@pytest.fixture
def month(org: Any, portfolio: dict[str, Any]) -> dict[str, Any]:
    """February and March 2026 (Shanghai business dates).

    | ticket | unit | category | reported (UTC) | response | completed | notes |
    | T0 | u3 | appliance.washer | 02-27 02:00 | +1 h | 02-27 05:00 (same day) | Feb, rated 4 |
    | T5 | u4 | network.wifi | 02-28 20:00 (= 03-01 04:00 SH) | +2 h | — | March in Shanghai |
    | T1 | u1 | appliance.ac_not_cooling | 03-02 01:00 | +0.5 h | 03-02 08:00 (same day) | E1, rated 5 |
    | T2 | u2 | water_electric.leak | 03-05 17:00 (= 03-06 01:00 SH) | +3 h | 03-06 10:00 (same SH day) | |
    | T3 | u3 | appliance.washer | 03-10 02:00 | +4 h | 03-12 02:00 | repeat of T0, rated 2 |
    | T4 | u1 | lock.smart_lock | 03-20 02:00 | +1 h | — | E2 |
    """
    e1 = make_user(org, "engineer", username="eng1")
    e2 = make_user(org, "engineer", username="eng2")
    u1, u2, u3, u4 = (portfolio[k] for k in ("u1", "u2", "u3", "u4"))
    t0 = make_ticket(
        org,
        u3,
        "appliance.washer",
        "WO-0",
        at("2026-02-27", 2),
        first_response_at=at("2026-02-27", 3),
        completed_at=at("2026-02-27", 5),
        assigned_engineer=e1,
    )
    t5 = make_ticket(
        org,
        u4,
        "network.wifi",
        "WO-5",
        at("2026-02-28", 20),
        first_response_at=at("2026-02-28", 22),
    )
    t1 = make_ticket(
        org,
        u1,
        "appliance.ac_not_cooling",
        "WO-1",
        at("2026-03-02", 1),
        first_response_at=at("2026-03-02", 1.5),
        completed_at=at("2026-03-02", 8),
        assigned_engineer=e1,
    )
    t2 = make_ticket(
        org,
        u2,
        "water_electric.leak",
        "WO-2",
        at("2026-03-05", 17),
        first_response_at=at("2026-03-05", 20),
        completed_at=at("2026-03-06", 10),
    )
    t3 = make_ticket(
        org,
        u3,
        "appliance.washer",
        "WO-3",
        at("2026-03-10", 2),
        first_response_at=at("2026-03-10", 6),
        completed_at=at("2026-03-12", 2),
        repeat_of=t0,
    )
    t4 = make_ticket(
        org,
        u1,
        "lock.smart_lock",
        "WO-4",
        at("2026-03-20", 2),
        first_response_at=at("2026-03-20", 3),
        assigned_engineer=e2,
        status="engineer_accepted",
    )
    customer = portfolio["customer"]
    Rating.objects.create(ticket=t0, score=4, customer=customer, at=at("2026-02-28", 2))
    Rating.objects.create(ticket=t1, score=5, customer=customer, at=at("2026-03-03", 2))
    Rating.objects.create(ticket=t3, score=2, customer=customer, at=at("2026-03-13", 2))
    for code, outcome in (
        ("appliance.ac_not_cooling", "solved"),
        ("appliance.washer", "solved"),
        ("lock.smart_lock", "escalated"),
        ("water_electric.leak", "shown"),
    ):
        DeflectionEvent.objects.create(
            organization=org,
            unit=u1,
            category_code=code,
            outcome=outcome,
            session_key="s",
            at=at("2026-03-15", 2),
        )
    return {"e1": e1, "e2": e2, "t0": t0, "t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}


MARCH_EXPECTED = {
    "month": "2026-03",
    "start": "2026-03-01",
    "end": "2026-03-31",
    "tickets_created": 5,
    "repeat_tickets": 1,
    "repeat_rate": 0.2,
    "responded": 5,
    "avg_response_hours": 2.1,
    "responded_within_2h": 3,
    "response_within_2h_rate": 0.6,
    "completed": 3,
    "completed_same_day": 2,
    "same_day_close_rate": 0.6667,
    "ratings": 2,
    "avg_rating": 3.5,
    "deflection_shown": 4,
    "deflection_solved": 2,
    "deflection_rate": 0.5,
}

FEB_EXPECTED = {
    "month": "2026-02",
    "start": "2026-02-01",
    "end": "2026-02-28",
    "tickets_created": 1,
    "repeat_tickets": 0,
    "repeat_rate": 0.0,
    "responded": 1,
    "avg_response_hours": 1.0,
    "responded_within_2h": 1,
    "response_within_2h_rate": 1.0,
    "completed": 1,
    "completed_same_day": 1,
    "same_day_close_rate": 1.0,
    "ratings": 1,
    "avg_rating": 4.0,
    "deflection_shown": 0,
    "deflection_solved": 0,
    "deflection_rate": None,
}


# Metrics ---------------------------------------------------------------------------------------


def test_month_metrics_exact(org: Any, month: dict[str, Any]) -> None:
    assert analytics.month_metrics(org.pk, MARCH) == MARCH_EXPECTED
    assert analytics.month_metrics(org.pk, FEB) == FEB_EXPECTED


def test_metrics_filters(org: Any, portfolio: dict[str, Any], month: dict[str, Any]) -> None:
    p1 = analytics.month_metrics(
        org.pk, MARCH, filters=analytics.Filters(project_id=portfolio["p1"].pk)
    )
    assert (p1["tickets_created"], p1["responded"], p1["avg_response_hours"]) == (3, 3, 1.5)
    assert (p1["completed"], p1["same_day_close_rate"], p1["avg_rating"]) == (2, 1.0, 5.0)
    e1 = analytics.month_metrics(
        org.pk, MARCH, filters=analytics.Filters(engineer_id=month["e1"].pk)
    )
    assert (e1["tickets_created"], e1["avg_response_hours"], e1["response_within_2h_rate"]) == (
        1,
        0.5,
        1.0,
    )
    appliance = analytics.month_metrics(
        org.pk, MARCH, filters=analytics.Filters(category="appliance")
    )
    assert appliance["tickets_created"] == 2
    assert appliance["repeat_rate"] == 0.5
    assert (appliance["deflection_shown"], appliance["deflection_rate"]) == (2, 1.0)


def test_compare_rows(org: Any, month: dict[str, Any]) -> None:
    rows = analytics.compare(FEB_EXPECTED, MARCH_EXPECTED)
    assert rows == [
        {"metric": "tickets_created", "a": 1, "b": 5, "change": 4},
        {"metric": "avg_response_hours", "a": 1.0, "b": 2.1, "change": 1.1},
        {"metric": "response_within_2h_rate", "a": 1.0, "b": 0.6, "change": -0.4},
        {"metric": "same_day_close_rate", "a": 1.0, "b": 0.6667, "change": -0.3333},
        {"metric": "repeat_rate", "a": 0.0, "b": 0.2, "change": 0.2},
        {"metric": "avg_rating", "a": 4.0, "b": 3.5, "change": -0.5},
        {"metric": "deflection_rate", "a": None, "b": 0.5, "change": None},
    ]


def test_metrics_of_other_org_are_empty(other_org: Any, month: dict[str, Any]) -> None:
    result = analytics.month_metrics(other_org.pk, MARCH)
    assert result["tickets_created"] == 0
    assert result["avg_response_hours"] is None
    assert result["same_day_close_rate"] is None


def test_metrics_are_a_handful_of_queries(
    org: Any, month: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(5):
        analytics.month_metrics(org.pk, MARCH)


# CLI -------------------------------------------------------------------------------------------


def test_cli_prints_metrics_json(org: Any, month: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("workorders", "metrics", "--month", "2026-03", "--org", str(org.pk), stdout=out)
    assert json.loads(out.getvalue()) == {"organization_id": org.pk, **MARCH_EXPECTED}


def test_cli_single_org_default_and_errors(org: Any, month: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("workorders", "metrics", "--month", "2026-02", stdout=out)
    assert json.loads(out.getvalue())["tickets_created"] == 1
    with pytest.raises(CommandError, match="--month"):
        call_command("workorders", "metrics", "--month", "2026-13", stdout=out)
    with pytest.raises(CommandError, match="--org"):
        call_command("workorders", "metrics", "--month", "2026-03", "--org", "999999", stdout=out)


# Heatmap ---------------------------------------------------------------------------------------


def test_heatmap_counts(org: Any, portfolio: dict[str, Any], month: dict[str, Any]) -> None:
    data = analytics.heatmap(org.pk, FEB, MARCH)
    b1, b2 = portfolio["b1"].pk, portfolio["b2"].pk
    assert data["months"] == ["2026-02", "2026-03"]
    assert [(r["building_id"], r["category"], r["counts"], r["total"]) for r in data["rows"]] == [
        (b1, "appliance", [0, 1], 1),
        (b1, "lock", [0, 1], 1),
        (b1, "water_electric", [0, 1], 1),
        (b2, "appliance", [1, 1], 2),
        (b2, "network", [0, 1], 1),
    ]
    assert data["max"] == 1
    svg = analytics.heatmap_svg_cells(data)
    assert len(svg["rects"]) == 10
    assert [r["count"] for r in svg["rects"]] == [0, 1, 0, 1, 0, 1, 1, 1, 0, 1]


# Defective batches -----------------------------------------------------------------------------


@pytest.fixture
def batches(org: Any, portfolio: dict[str, Any]) -> dict[str, Any]:
    """Batch A1: 4 air conditioners, 6 failures; B2 and C3: 20 each, 1 failure each."""
    unit = portfolio["u1"]
    installed = dt.date(2025, 1, 1)
    pieces: dict[str, list[Any]] = {}
    for brand, model, batch, n in (
        ("格力", "KFR-35", "A1", 4),
        ("格力", "KFR-35", "B2", 20),
        ("美的", "M1", "C3", 20),
    ):
        pieces[batch] = [
            EquipmentFactory(
                unit=unit, brand=brand, model=model, batch=batch, installed_on=installed
            )
            for _ in range(n)
        ]
    # A piece without an install date is left out of the exposure.
    EquipmentFactory(unit=unit, brand="格力", model="KFR-35", batch="A1", installed_on=None)
    numbers = []
    for i in range(6):
        t = make_ticket(
            org,
            unit,
            "appliance.ac_not_cooling",
            f"WO-A{i}",
            at("2026-01-10", 2 + i * 24),
            equipment=pieces["A1"][i % 4],
        )
        numbers.append(t.number)
    make_ticket(
        org,
        unit,
        "appliance.ac_not_cooling",
        "WO-AX",
        at("2026-02-01", 2),
        equipment=pieces["A1"][0],
        status="cancelled",
    )
    make_ticket(
        org,
        unit,
        "appliance.ac_not_cooling",
        "WO-B",
        at("2026-02-01", 2),
        equipment=pieces["B2"][0],
    )
    make_ticket(
        org,
        unit,
        "appliance.ac_not_cooling",
        "WO-C",
        at("2026-03-01", 2),
        equipment=pieces["C3"][0],
    )
    return {"numbers": numbers}


def test_defective_batch_flagged_and_normal_ones_not(
    org: Any, batches: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(5):
        findings = analytics.defective_batches(org.pk, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    by_batch = {f["batch"]: f for f in findings}
    a1, b2, c3 = by_batch["A1"], by_batch["B2"], by_batch["C3"]
    months = 90 / (365.2425 / 12)
    assert findings[0]["batch"] == "A1"
    assert a1["flagged"] is True
    assert (a1["pieces"], a1["failures"], a1["unit_months"]) == (4, 6, round(4 * months, 2))
    assert a1["baseline_rate"] == round(2 / (40 * months), 4)
    assert a1["expected"] == round(2 / (40 * months) * 4 * months, 2) == 0.2
    assert a1["p_value"] is not None and a1["p_value"] < 1e-7
    assert [t["number"] for t in a1["tickets"]] == batches["numbers"]
    assert (b2["flagged"], b2["failures"], b2["tickets"]) == (False, 1, [])
    assert (c3["flagged"], c3["failures"], c3["pieces"]) == (False, 1, 20)


def test_evidence_lists_the_latest_work_orders_of_a_large_batch(
    org: Any, batches: dict[str, Any]
) -> None:
    findings = analytics.defective_batches(
        org.pk, dt.date(2026, 1, 1), dt.date(2026, 3, 31), evidence_limit=2
    )
    a1 = next(f for f in findings if f["batch"] == "A1")
    assert a1["failures"] == 6  # all of them counted
    assert [t["number"] for t in a1["tickets"]] == batches["numbers"][-2:]  # oldest first


def test_batches_respect_the_equipment_scope(org: Any, batches: dict[str, Any]) -> None:
    from django.db.models import Q

    elsewhere = BuildingFactory(organization=org)
    findings = analytics.defective_batches(
        org.pk,
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
        scope=Q(building__project_id__in=[]) | Q(building_id__in=[elsewhere.pk]),
    )
    assert findings == []


def test_heatmap_page_draws_the_busiest_rows(
    manager: Any, month: dict[str, Any], monkeypatch: Any
) -> None:
    from anzu.maintenance import analytics_views

    monkeypatch.setattr(analytics_views, "HEATMAP_PAGE_ROWS", 2)
    response = client_for(manager).get(
        "/workorders/analytics/heatmap/", {"from": "2026-02", "to": "2026-03"}
    )
    assert response.status_code == 200
    rows = response.context["data"]["rows"]
    # b2 · appliance (2) is the busiest; the ties at 1 go by the usual order (b1 · appliance).
    assert [(r["category"], r["total"]) for r in rows] == [("appliance", 1), ("appliance", 2)]
    assert response.context["all_rows"] == 5
    assert 'id="heatmap-limited"' in response.content.decode()


# Operations map --------------------------------------------------------------------------------


def test_ops_map_points(org: Any, portfolio: dict[str, Any], month: dict[str, Any]) -> None:
    b3 = BuildingFactory(
        project=portfolio["p2"],
        name="3号楼",
        latitude=Decimal("31.300000"),
        longitude=Decimal("121.600000"),
    )
    UnitFactory(building=b3)
    BuildingFactory(project=portfolio["p2"], name="无坐标", latitude=None, longitude=None)
    data = analytics.ops_map(org.pk)
    points = {p["name"]: p for p in data["points"]}
    assert set(points) == {"1号楼", "2号楼", "3号楼"}
    # Open: T4 (engineer accepted) in B1; T5 (accepted) in B2.
    assert (points["1号楼"]["open"], points["2号楼"]["open"], points["3号楼"]["open"]) == (1, 1, 0)
    assert points["3号楼"]["x"] > points["1号楼"]["x"]
    assert points["3号楼"]["y"] < points["1号楼"]["y"]


# Pages, API, access ----------------------------------------------------------------------------


@pytest.fixture
def april() -> Any:
    with time_machine.travel(dt.datetime(2026, 4, 15, 4, 0, tzinfo=UTC), tick=False):
        yield


def test_analytics_page_compares_months(manager: Any, month: dict[str, Any], april: Any) -> None:
    response = client_for(manager).get("/workorders/analytics/", {"a": "2026-02", "b": "2026-03"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<tr id="metric-repeat_rate"><td>' in html
    assert "<td>0.0%</td><td>20.0%</td><td>+20.0 pp</td>" in html
    assert "<td>1</td><td>2.1</td><td>+1.1</td>" in html
    assert response.context["b"] == MARCH_EXPECTED


def test_analytics_page_defaults_and_filter(
    manager: Any, portfolio: dict[str, Any], month: dict[str, Any], april: Any
) -> None:
    client = client_for(manager)
    response = client.get("/workorders/analytics/")
    assert (response.context["month_a"], response.context["month_b"]) == ("2026-03", "2026-04")
    response = client.get(
        "/workorders/analytics/",
        {"b": "2026-03", "project": portfolio["p1"].pk, "category": "bogus"},
    )
    assert response.context["b"]["tickets_created"] == 3
    assert response.context["filters"].category == ""


def test_heatmap_batches_and_map_pages(
    manager: Any, month: dict[str, Any], batches: dict[str, Any], april: Any
) -> None:
    client = client_for(manager)
    heat = client.get("/workorders/analytics/heatmap/", {"from": "2026-01", "to": "2026-03"})
    assert heat.status_code == 200
    assert '<svg id="heatmap-svg"' in heat.content.decode()
    assert heat.context["data"]["months"] == ["2026-01", "2026-02", "2026-03"]
    page = client.get("/workorders/analytics/batches/", {"from": "2026-01", "to": "2026-03"})
    assert page.status_code == 200
    assert [f["batch"] for f in page.context["flagged"]] == ["A1"]
    assert "WO-A0" in page.content.decode()
    ops = client.get("/workorders/analytics/map/")
    assert ops.status_code == 200
    assert '<svg id="ops-map"' in ops.content.decode()


def test_pages_are_fast(
    manager: Any, month: dict[str, Any], april: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(manager)
    for url in (
        "/workorders/analytics/",
        "/workorders/analytics/heatmap/",
        "/workorders/analytics/batches/",
        "/workorders/analytics/map/",
    ):
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", ["customer_service", "frontline", "engineer", "finance"])
def test_roles_without_capability_get_403(org: Any, role: str) -> None:
    client = client_for(make_user(org, role, username=f"u-{role}"))
    for url in (
        "/workorders/analytics/",
        "/workorders/analytics/heatmap/",
        "/workorders/analytics/batches/",
        "/workorders/analytics/map/",
    ):
        assert client.get(url).status_code == 403
    for url in (
        "/api/v1/workorders/metrics",
        "/api/v1/workorders/heatmap",
        "/api/v1/workorders/defective-batches",
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


def test_admin_allowed(admin_user: Any, month: dict[str, Any], april: Any) -> None:
    assert client_for(admin_user).get("/workorders/analytics/").status_code == 200


def test_other_org_sees_nothing(
    other_org: Any, month: dict[str, Any], batches: dict[str, Any], april: Any
) -> None:
    client = client_for(make_user(other_org, "management", username="other-mgr"))
    metrics = client.get("/api/v1/workorders/metrics", {"month": "2026-03"}).json()
    assert metrics["metrics"]["tickets_created"] == 0
    assert (
        client.get("/api/v1/workorders/heatmap", {"start": "2026-01", "end": "2026-03"}).json()[
            "rows"
        ]
        == []
    )
    assert (
        client.get(
            "/api/v1/workorders/defective-batches", {"start": "2026-01", "end": "2026-03"}
        ).json()["items"]
        == []
    )
    page = client.get("/workorders/analytics/map/")
    assert page.context["data"]["points"] == []


def test_scoped_manager_sees_only_their_project(
    org: Any, portfolio: dict[str, Any], month: dict[str, Any], april: Any
) -> None:
    scoped = make_user(org, "management", username="scoped", projects=[portfolio["p2"]])
    body = client_for(scoped).get("/api/v1/workorders/metrics", {"month": "2026-03"}).json()
    # P2 holds B2: T3 and T5.
    assert body["metrics"]["tickets_created"] == 2


def test_api_metrics_with_comparison(manager: Any, month: dict[str, Any], april: Any) -> None:
    client = client_for(manager)
    body = client.get(
        "/api/v1/workorders/metrics", {"month": "2026-03", "compare_to": "2026-02"}
    ).json()
    assert body["metrics"] == MARCH_EXPECTED
    assert body["compare_to"] == FEB_EXPECTED
    assert body["comparison"] == analytics.compare(FEB_EXPECTED, MARCH_EXPECTED)
    only = client.get("/api/v1/workorders/metrics", {"month": "2026-03"}).json()
    assert (only["compare_to"], only["comparison"]) == (None, [])


def test_api_heatmap_and_batches(
    manager: Any,
    portfolio: dict[str, Any],
    month: dict[str, Any],
    batches: dict[str, Any],
    april: Any,
) -> None:
    client = client_for(manager)
    heat = client.get(
        "/api/v1/workorders/heatmap", {"start": "2026-02", "end": "2026-03", "category": "network"}
    ).json()
    assert heat == {
        "months": ["2026-02", "2026-03"],
        "rows": [
            {
                "building_id": portfolio["b2"].pk,
                "building": "2号楼",
                "category": "network",
                "category_name": "网络",
                "counts": [0, 1],
                "total": 1,
            }
        ],
        "max": 1,
    }
    found = client.get(
        "/api/v1/workorders/defective-batches", {"start": "2026-01", "end": "2026-03"}
    ).json()
    assert (found["start"], found["end"]) == ("2026-01-01", "2026-03-31")
    flagged = [i for i in found["items"] if i["flagged"]]
    assert [(i["brand"], i["model"], i["batch"], i["failures"]) for i in flagged] == [
        ("格力", "KFR-35", "A1", 6)
    ]
    assert len(flagged[0]["tickets"]) == 6


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/workorders/metrics", {"month": "2026-3x"}, "month"),
        ("/api/v1/workorders/metrics", {"compare_to": "bad"}, "compare_to"),
        ("/api/v1/workorders/metrics", {"category": "appliance.washer"}, "category"),
        ("/api/v1/workorders/heatmap", {"start": "2026-05", "end": "2026-03"}, "start"),
        ("/api/v1/workorders/defective-batches", {"end": "x"}, "end"),
    ],
)
def test_api_bad_input(manager: Any, url: str, params: dict[str, str], field: str) -> None:
    response = client_for(manager).get(url, params)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_pages_are_in_chinese_by_default(manager: Any, month: dict[str, Any], april: Any) -> None:
    html = client_for(manager).get("/workorders/analytics/").content.decode()
    assert "工单分析" in html
    assert "<td>返修率</td>" in html
