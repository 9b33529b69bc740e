from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from anzu.common.errors import ValidationFailed
from anzu.common.testing import UnitFactory, make_user
from anzu.maintenance.knowledge import selectors, services
from anzu.maintenance.knowledge.models import Article, DeflectionEvent

pytestmark = pytest.mark.urls("anzu.maintenance.knowledge.tests.urls")

TOILET = "water_electric.toilet_blocked"
WIFI = "network.wifi"


def at(day: int, hour: int = 10) -> Any:
    """Travel to 2026-03-<day> <hour>:00 UTC."""
    return time_machine.travel(dt.datetime(2026, 3, day, hour, 0, tzinfo=dt.UTC), tick=False)


def show(unit: Any, code: str, session: str) -> DeflectionEvent:
    articles = selectors.articles_for_category(unit.organization_id, code)
    return services.deflection_show(
        unit=unit, category_code=code, articles=articles, session_key=session
    )


@pytest.fixture
def history(portfolio: dict[str, Any], other_org: Any, ticket_stub: Any) -> dict[str, Any]:
    """Visits between 2026-03-01 and 2026-03-10 (UTC 10:00 = 18:00 Shanghai)."""
    u1, u2 = portfolio["u1"], portfolio["u2"]
    with at(1):
        show(u1, TOILET, "s-old")  # abandoned
    with at(2):
        e = show(u1, TOILET, "s-solved")
        services.deflection_solve(event_id=e.pk, unit=u1, session_key="s-solved")
        e = show(u2, TOILET, "s-esc")
        services.qr_report_submit(
            unit=u2,
            category_code=TOILET,
            description="堵",
            reporter=services.Reporter(None, "访客", "13900000000"),
            session_key="s-esc",
            deflection_event_id=e.pk,
        )
        e = show(u1, WIFI, "s-wifi")
        services.deflection_solve(event_id=e.pk, unit=u1, session_key="s-wifi")
    with at(10, 8):
        show(u1, TOILET, "s-recent")  # pending at 10:00 on the 10th
    with at(11):
        show(u1, WIFI, "s-later")  # after the window
    foreign = UnitFactory(building__project__organization=other_org)
    with at(2):
        show(foreign, TOILET, "s-foreign")
    return {"foreign": foreign}


def test_stats_are_exact(portfolio: dict[str, Any], history: Any, frozen: Any) -> None:
    org_id = portfolio["u1"].organization_id
    stats = selectors.deflection_stats(org_id, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert stats["items"] == [
        {
            "category_code": WIFI,
            "category": "Wi-Fi断网",
            "shown": 1,
            "solved": 1,
            "escalated": 0,
            "abandoned": 0,
            "pending": 0,
            "deflection_rate": 1.0,
        },
        {
            "category_code": TOILET,
            "category": "马桶堵塞",
            "shown": 4,
            "solved": 1,
            "escalated": 1,
            "abandoned": 1,
            "pending": 1,
            "deflection_rate": 0.25,
        },
    ]
    assert stats["total"] == {
        "shown": 5,
        "solved": 2,
        "escalated": 1,
        "abandoned": 1,
        "pending": 1,
        "deflection_rate": 0.4,
    }


def test_stats_window_is_inclusive_business_dates(
    portfolio: dict[str, Any], history: Any, frozen: Any
) -> None:
    org_id = portfolio["u1"].organization_id
    stats = selectors.deflection_stats(org_id, dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    assert stats["total"]["shown"] == 3
    assert (
        selectors.deflection_stats(org_id, dt.date(2026, 3, 3), dt.date(2026, 3, 9))["items"] == []
    )
    empty = selectors.deflection_stats(org_id, dt.date(2026, 3, 3), dt.date(2026, 3, 9))["total"]
    assert empty["deflection_rate"] is None


def test_pending_becomes_abandoned_after_24_hours(portfolio: dict[str, Any], history: Any) -> None:
    org_id = portfolio["u1"].organization_id
    with at(11, 9):
        toilet = selectors.deflection_stats(org_id, dt.date(2026, 3, 10), dt.date(2026, 3, 10))[
            "items"
        ][0]
        assert (toilet["pending"], toilet["abandoned"]) == (0, 1)


def test_escalation_after_solved_counts_as_escalated(
    portfolio: dict[str, Any], frozen: Any, ticket_stub: Any
) -> None:
    u1 = portfolio["u1"]
    event = show(u1, TOILET, "s")
    services.deflection_solve(event_id=event.pk, unit=u1, session_key="s")
    services.qr_report_submit(
        unit=u1,
        category_code=TOILET,
        description="又堵了",
        reporter=services.Reporter(None, "访客", "13900000000"),
        session_key="s",
        deflection_event_id=event.pk,
    )
    event.refresh_from_db()
    assert (event.outcome, event.ticket_number) == ("escalated", "WO-20260310-0001")


def test_solve_refuses_another_sessions_visit(portfolio: dict[str, Any], frozen: Any) -> None:
    event = show(portfolio["u1"], TOILET, "mine")
    with pytest.raises(ValidationFailed) as exc:
        services.deflection_solve(event_id=event.pk, unit=portfolio["u1"], session_key="theirs")
    assert exc.value.field == "event"
    event.refresh_from_db()
    assert event.outcome == "shown"


def test_show_needs_articles(portfolio: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.deflection_show(
            unit=portfolio["u1"], category_code="structure.wall", articles=[], session_key="s"
        )
    assert exc.value.code == "no_articles"
    assert DeflectionEvent.objects.count() == 0


def test_page_section_shows_the_stats(
    client: Any, portfolio: dict[str, Any], history: Any, frozen: Any, cs: Any
) -> None:
    client.force_login(cs)
    html = client.get("/kb/", {"start": "2026-03-01", "end": "2026-03-10"}).content.decode()
    assert (
        f'<tr data-category="{TOILET}"><td>马桶堵塞</td><td>4</td><td>1</td><td>1</td><td>1</td><td>1</td><td>25%</td></tr>'
        in html
    )
    assert (
        '<tr data-category="total"><th>合计</th><th>5</th><th>2</th><th>1</th><th>1</th><th>1</th><th>40%</th></tr>'
        in html
    )
    response = client.get("/kb/", {"start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 422


def test_api_deflection(
    client: Any, portfolio: dict[str, Any], history: Any, frozen: Any, cs: Any, org: Any
) -> None:
    client.force_login(cs)
    response = client.get("/api/v1/kb/deflection", {"start": "2026-03-01", "end": "2026-03-10"})
    assert response.status_code == 200
    body = response.json()
    assert body["start"] == "2026-03-01" and body["end"] == "2026-03-10"
    assert body["total"] == {
        "shown": 5,
        "solved": 2,
        "escalated": 1,
        "abandoned": 1,
        "pending": 1,
        "deflection_rate": 0.4,
    }
    assert [(r["category_code"], r["shown"], r["deflection_rate"]) for r in body["items"]] == [
        (WIFI, 1, 1.0),
        (TOILET, 4, 0.25),
    ]
    bad = client.get("/api/v1/kb/deflection", {"start": "2026-03-10", "end": "2026-03-01"})
    assert bad.status_code == 422 and bad.json()["field"] == "end"
    missing = client.get("/api/v1/kb/deflection", {"start": "2026-03-10"})
    assert missing.status_code == 422 and missing.json()["field"] == "end"
    client.force_login(make_user(org, "engineer", username="eng"))
    assert (
        client.get(
            "/api/v1/kb/deflection", {"start": "2026-03-01", "end": "2026-03-10"}
        ).status_code
        == 403
    )


def test_builtin_articles_count_once_per_visit(portfolio: dict[str, Any], frozen: Any) -> None:
    Article.objects.create(
        organization=portfolio["p1"].organization,
        category_code=TOILET,
        title="二",
        body="b",
        position=200,
    )
    event = show(portfolio["u1"], TOILET, "s")
    assert len(event.article_ids) == 2
