from __future__ import annotations

from typing import Any

from anzu.common.testing import make_user
from anzu.contracts.search.tests.conftest import ends_in, make_contract
from anzu.core.navigation import menu_for


def test_navigation_entries(org: Any) -> None:
    manager = make_user(org, "management")
    names = {item.url_name for item in menu_for(manager)}
    assert {"contract_board:index", "contract_search:index"} <= names
    engineer = make_user(org, "engineer")
    assert "contract_board:index" not in {item.url_name for item in menu_for(engineer)}


def test_board_in_chinese_and_english(org: Any, portfolio: Any, client: Any) -> None:
    make_contract(org, unit=portfolio["u1"], end_date=ends_in(3))
    client.force_login(make_user(org, "management"))
    chinese = client.get("/contracts/board/").content.decode()
    assert "合同生命周期" in chinese and "30 天内到期" in chinese
    client.cookies["django_language"] = "en"
    english = client.get("/contracts/board/").content.decode()
    assert "Contract lifecycle" in english and "Expiring within 30 days" in english


def test_search_page_filters_and_errors(org: Any, portfolio: Any, client: Any) -> None:
    a = make_contract(
        org, unit=portfolio["u1"], title="静安公寓101", lessee_name="周杰", end_date=ends_in(10)
    )
    b = make_contract(
        org, unit=portfolio["u3"], title="浦东公寓201", lessee_name="周杰", end_date=ends_in(300)
    )
    client.force_login(make_user(org, "management"))
    both = client.get("/contracts/search/", {"q": "周杰"}).content.decode()
    assert f'id="hit-{a.pk}"' in both and f'id="hit-{b.pk}"' in both
    soon = client.get("/contracts/search/", {"q": "周杰", "expiring_within_days": "30"})
    assert f'id="hit-{b.pk}"' not in soon.content.decode()
    p2 = client.get(
        "/contracts/search/", {"q": "周杰", "project": portfolio["p2"].pk}
    ).content.decode()
    assert f'id="hit-{a.pk}"' not in p2 and f'id="hit-{b.pk}"' in p2
    bad = client.get("/contracts/search/", {"q": "周杰", "rent_min": "9", "rent_max": "1"})
    assert bad.status_code == 422
    assert "最高租金低于最低租金" in bad.content.decode()
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    client.force_login(frontline)
    page = client.get("/contracts/search/", {"q": "周杰"}).content.decode()
    assert f'id="hit-{a.pk}"' in page and f'id="hit-{b.pk}"' not in page
    assert 'name="rent_min"' not in page  # no amount filters without amounts.view
