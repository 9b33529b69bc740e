from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anzu.common.errors import ValidationFailed
from anzu.common.testing import make_user
from anzu.contracts.search import engine, indexing
from anzu.contracts.search.models import SearchEntry
from anzu.contracts.search.tests.conftest import ends_in, make_contract
from anzu.contracts.search.text import document_grams, normalize, query_grams

TEXT = (
    "房屋租赁合同\n甲方（出租人）：上海华信置业有限公司\n乙方（承租人）：张伟\n"
    "第一条 房屋坐落于上海市静安区南京西路１２３号。第二条 租期自2026年1月1日起至2026年12月31日止。"
    "第三条 押金为两个月租金。违约金按日万分之五计算。"
)


def test_normalize_full_width_and_case() -> None:
    assert normalize("ＡＢＣ　１２３ Ｓｈａｎｇｈａｉ") == "abc 123 shanghai"
    assert normalize("南京西路１２３号") == "南京西路123号"


def test_grams() -> None:
    assert query_grams("南京西路") == {"南京", "京西", "西路"}
    assert query_grams("张") == {"张"}
    assert query_grams("ab") == {"ab"}
    assert query_grams("abcd") == {"abc", "bcd"}
    doc = document_grams("张伟 l2026", single_cjk=True)
    assert {"张", "伟", "张伟", "l2", "l20", "026"} <= doc
    assert "张" not in document_grams("张伟")


@pytest.fixture
def corpus(org: Any, portfolio: Any) -> dict[str, Any]:
    u1, u3 = portfolio["u1"], portfolio["u3"]
    a = make_contract(
        org,
        unit=u1,
        title="静安公寓101租赁合同",
        lessor_name="上海华信置业有限公司",
        lessee_name="张伟",
        address="上海市静安区南京西路123号",
        text=TEXT,
        end_date=ends_in(20),
        monthly_rent=Decimal("6500"),
        risk_level="high",
    )
    b = make_contract(
        org,
        unit=u3,
        title="浦东公寓201租赁合同",
        lessor_name="Shanghai Huaxin Property Co",
        lessee_name="王芳",
        address="上海市浦东新区世纪大道88号",
        text="本合同由张伟代为签收。租金每月人民币叁仟元整。Shanghai office copy.",
        end_date=ends_in(200),
        monthly_rent=Decimal("3000"),
        risk_level="low",
    )
    c = make_contract(
        org,
        unit=u1,
        title="Lease agreement Unit 102",
        lessor_name="Greenfield Estates",
        lessee_name="John Smith",
        address="88 Century Avenue",
        text="The tenant shall pay rent monthly.",
        end_date=ends_in(-3),
        status="pending",
    )
    indexing.rebuild(org.pk)
    return {"a": a, "b": b, "c": c}


def ids(result: engine.SearchResult) -> list[int]:
    return [h.contract_id for h in result.hits]


def test_cjk_two_chars_ranks_key_hits_above_full_text(corpus: Any, org: Any) -> None:
    legal = make_user(org, "legal")
    result = engine.search(legal, query="张伟")
    assert ids(result) == [corpus["a"].pk, corpus["b"].pk]
    assert [h.tier for h in result.hits] == ["keys", "text"]


def test_cjk_long_and_single_char_and_full_width(corpus: Any, org: Any) -> None:
    legal = make_user(org, "legal")
    assert ids(engine.search(legal, query="南京西路１２３")) == [corpus["a"].pk]
    assert ids(engine.search(legal, query="芳")) == [corpus["b"].pk]
    assert ids(engine.search(legal, query="世纪大道")) == [corpus["b"].pk]
    # Several terms: all must occur (in key fields or text).
    assert ids(engine.search(legal, query="上海 押金")) == [corpus["a"].pk]
    assert ids(engine.search(legal, query="违约金 王芳")) == []


def test_latin_substring_case_and_typo(corpus: Any, org: Any) -> None:
    legal = make_user(org, "legal")
    assert ids(engine.search(legal, query="HUAXIN")) == [corpus["b"].pk]
    assert ids(engine.search(legal, query="smith")) == [corpus["c"].pk]
    typo = engine.search(legal, query="Greenfeld")
    assert ids(typo) == [corpus["c"].pk]
    assert typo.hits[0].tier == "fuzzy"
    assert ids(engine.search(legal, query="zzzqqq")) == []


def test_full_text_needs_contract_full(corpus: Any, org: Any) -> None:
    finance = make_user(org, "finance")  # no contract.full
    result = engine.search(finance, query="张伟")
    assert ids(result) == [corpus["a"].pk]
    assert ids(engine.search(finance, query="押金")) == []


def test_filters(corpus: Any, org: Any, portfolio: Any) -> None:
    legal = make_user(org, "legal")
    f = engine.Filters
    assert ids(engine.search(legal, query="上海", filters=f(project_id=portfolio["p2"].pk))) == [
        corpus["b"].pk
    ]
    assert ids(engine.search(legal, query="上海", filters=f(risk_level="high"))) == [corpus["a"].pk]
    assert ids(engine.search(legal, query="上海", filters=f(rent_min=Decimal("4000")))) == [
        corpus["a"].pk
    ]
    assert ids(engine.search(legal, query="上海", filters=f(rent_max=Decimal("4000")))) == [
        corpus["b"].pk
    ]
    assert ids(engine.search(legal, query="上海", filters=f(expiring_within_days=30))) == [
        corpus["a"].pk
    ]
    assert ids(engine.search(legal, query="", filters=f(status="pending"))) == [corpus["c"].pk]


@pytest.mark.parametrize(
    ("query", "filters", "field", "code"),
    [
        ("x", {}, "q", "too_short"),
        ("a" * 101, {}, "q", "too_long"),
        ("上海", {"status": "bogus"}, "status", "invalid_choice"),
        ("上海", {"risk_level": "huge"}, "risk_level", "invalid_choice"),
        ("上海", {"rent_min": Decimal("-1")}, "rent_min", "too_small"),
        ("上海", {"rent_min": Decimal("5"), "rent_max": Decimal("1")}, "rent_max", "invalid"),
        ("上海", {"expiring_within_days": 5000}, "expiring_within_days", "invalid"),
    ],
)
def test_bad_input_names_the_field(
    org: Any, query: str, filters: dict[str, Any], field: str, code: str
) -> None:
    legal = make_user(org, "legal")
    with pytest.raises(ValidationFailed) as err:
        engine.search(legal, query=query, filters=engine.Filters(**filters))
    assert (err.value.field, err.value.code) == (field, code)


def test_rent_filter_refused_without_amounts(corpus: Any, org: Any, portfolio: Any) -> None:
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    with pytest.raises(ValidationFailed) as err:
        engine.search(frontline, query="上海", filters=engine.Filters(rent_min=Decimal("1")))
    assert err.value.field == "rent_min"


def test_scope_and_organization(corpus: Any, org: Any, other_org: Any, portfolio: Any) -> None:
    other = make_contract(other_org, title="静安公寓101租赁合同", lessee_name="张伟")
    indexing.index_contract(other.pk)
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    assert ids(engine.search(frontline, query="上海")) == [corpus["a"].pk]
    assert ids(engine.search(frontline, query="公寓")) == [corpus["a"].pk]
    outsider = make_user(other_org, "admin")
    assert ids(engine.search(outsider, query="张伟")) == [other.pk]


def test_index_contract_follows_changes_and_deletion(corpus: Any, org: Any) -> None:
    legal = make_user(org, "legal")
    a = corpus["a"]
    a.lessee_name = "李娜"
    a.save()
    assert ids(engine.search(legal, query="李娜")) == []  # not yet re-indexed
    assert indexing.index_contract(a.pk) is True
    assert ids(engine.search(legal, query="李娜")) == [a.pk]
    assert indexing.stale_ids(org.pk) == []
    SearchEntry.objects.filter(contract_id=a.pk).delete()
    assert indexing.stale_ids(org.pk) == [a.pk]
    assert indexing.index_stale(org.pk) == 1
    assert indexing.index_stale(org.pk) == 0  # at most once per interval
    assert indexing.index_contract(999999) is False


def test_api_shape_and_masking(corpus: Any, org: Any, portfolio: Any, client: Any) -> None:
    legal = make_user(org, "legal")
    client.force_login(legal)
    body = client.get("/api/v1/contract-search", {"q": "张伟"}).json()
    assert set(body) == {"items", "page", "page_size", "total", "total_capped", "terms"}
    assert (body["total"], body["total_capped"], body["terms"]) == (2, False, ["张伟"])
    first, second = body["items"]
    assert first["match"] == "keys" and first["monthly_rent"] == "6500.00"
    assert {"text": "张伟", "hit": True} in first["snippet"]
    assert second["match"] == "text"
    assert any(f["hit"] and f["text"] == "张伟" for f in second["snippet"])
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    client.force_login(frontline)
    own = client.get("/api/v1/contract-search", {"q": "张伟"}).json()
    assert [i["id"] for i in own["items"]] == [corpus["a"].pk]
    assert own["items"][0]["monthly_rent"] is None
    bad = client.get("/api/v1/contract-search", {"q": "上海", "rent_min": "1"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "rent_min"


def test_page_indexes_lazily_and_highlights(org: Any, portfolio: Any, client: Any) -> None:
    contract = make_contract(
        org,
        unit=portfolio["u1"],
        title="静安公寓101租赁合同",
        lessee_name="赵敏",
        text="赵敏承租。",
    )
    assert not SearchEntry.objects.filter(contract_id=contract.pk).exists()
    legal = make_user(org, "legal")
    client.force_login(legal)
    page = client.get("/contracts/search/", {"q": "赵敏"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="hit-{contract.pk}"' in html
    assert "<mark>赵敏</mark>" in html
    assert client.get("/contracts/search/", {"q": "x"}).status_code == 422


def test_rebuild_command(corpus: Any, org: Any) -> None:
    from django.core.management import call_command

    SearchEntry.objects.all().delete()
    call_command("contract_search_rebuild", "--organization", str(org.pk))
    assert SearchEntry.objects.count() == 3
