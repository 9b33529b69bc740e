from __future__ import annotations

from typing import Any

import pytest

from anzu.common.testing import make_user
from anzu.contracts.search import lifecycle
from anzu.contracts.search.tests.conftest import TODAY, ends_in, make_contract


@pytest.mark.parametrize(
    ("days", "terminated", "bucket"),
    [
        (0, False, "within_30"),  # ends today: still running today
        (30, False, "within_30"),  # exactly 30 days
        (31, False, "within_60"),
        (60, False, "within_60"),
        (61, False, "within_90"),
        (90, False, "within_90"),
        (91, False, "active"),
        (-1, False, "expired"),
        (10, True, "terminated"),
        (-50, True, "terminated"),
        (None, False, "undated"),
    ],
)
def test_bucket_boundaries(days: Any, terminated: bool, bucket: str) -> None:
    end = ends_in(days) if days is not None else None
    term = TODAY if terminated else None
    assert lifecycle.bucket_of(end, term, TODAY) == bucket


def test_board_counts_agree_with_bucket_of(
    org: Any, portfolio: Any, manager: Any, client: Any
) -> None:
    u1 = portfolio["u1"]
    for days in (0, 30, 31, 60, 61, 90, 91, 400, -1, -30):
        make_contract(org, unit=u1, end_date=ends_in(days))
    make_contract(org, unit=u1, end_date=ends_in(5), terminated_on=TODAY)
    make_contract(org, unit=u1)
    client.force_login(manager)
    body = client.get("/api/v1/contract-board").json()
    counts = {b["key"]: b["count"] for b in body["buckets"]}
    assert body["total"] == 12
    assert counts == {
        "within_30": 2,
        "within_60": 2,
        "within_90": 2,
        "active": 2,
        "expired": 2,
        "terminated": 1,
        "undated": 1,
    }
    shares = {b["key"]: b["share"] for b in body["buckets"]}
    assert shares["within_30"] == pytest.approx(2 / 12, abs=1e-4)
    assert next(b["key"] for b in body["buckets"]) == "within_30"


def test_board_per_project_and_scope(org: Any, other_org: Any, portfolio: Any, client: Any) -> None:
    make_contract(org, unit=portfolio["u1"], end_date=ends_in(10))
    make_contract(org, unit=portfolio["u3"], end_date=ends_in(10))
    make_contract(org, unit=portfolio["u3"], end_date=ends_in(200))
    make_contract(other_org, end_date=ends_in(10))
    admin = make_user(org, "admin")
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    client.force_login(admin)
    assert client.get("/api/v1/contract-board").json()["total"] == 3
    p2 = client.get("/api/v1/contract-board", {"project_id": portfolio["p2"].pk}).json()
    assert p2["total"] == 2
    client.force_login(frontline)
    own = client.get("/api/v1/contract-board").json()
    assert own["total"] == 1
    # Another project's filter shows nothing rather than someone else's contracts.
    assert (
        client.get("/api/v1/contract-board", {"project_id": portfolio["p2"].pk}).json()["total"]
        == 0
    )


def test_drill_down_is_paginated_scoped_and_masked(org: Any, portfolio: Any, client: Any) -> None:
    from decimal import Decimal

    for i in range(3):
        make_contract(
            org, unit=portfolio["u1"], end_date=ends_in(20 - i), monthly_rent=Decimal("3000")
        )
    make_contract(org, unit=portfolio["u3"], end_date=ends_in(5))
    make_contract(org, unit=portfolio["u1"], end_date=ends_in(45))
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    client.force_login(frontline)
    page = client.get("/api/v1/contract-board/buckets/within_30", {"page_size": 2}).json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (3, 1, 2, 2)
    first = page["items"][0]
    assert first["days_left"] == 18  # nearest end first
    assert first["monthly_rent"] is None  # frontline sees no amounts
    assert first["bucket"] == "within_30"
    assert set(first) >= {"id", "title", "lessee_name", "end_date", "renewal", "lease_id"}
    second = client.get(
        "/api/v1/contract-board/buckets/within_30", {"page_size": 2, "page": 2}
    ).json()
    assert len(second["items"]) == 1
    assert client.get("/api/v1/contract-board/buckets/nope").status_code == 404
    finance = make_user(org, "finance")
    client.force_login(finance)
    rows = client.get("/api/v1/contract-board/buckets/within_30").json()["items"]
    assert len(rows) == 4 and rows[0]["monthly_rent"] is None
    assert rows[1]["monthly_rent"] == "3000.00"


def test_engineer_may_not_see_the_board(org: Any, client: Any) -> None:
    engineer = make_user(org, "engineer")
    client.force_login(engineer)
    response = client.get("/api/v1/contract-board")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert client.get("/contracts/board/").status_code == 403


def test_board_pages_render(org: Any, portfolio: Any, manager: Any, client: Any) -> None:
    contract = make_contract(
        org, unit=portfolio["u1"], end_date=ends_in(12), title="静安公寓101租赁合同"
    )
    client.force_login(manager)
    page = client.get("/contracts/board/")
    assert page.status_code == 200
    assert "即将到期" in page.content.decode() or "30" in page.content.decode()
    drill = client.get("/contracts/board/within_30/")
    assert drill.status_code == 200
    assert f'id="contract-{contract.pk}"' in drill.content.decode()
    assert client.get("/contracts/board/nonsense/").status_code == 404
