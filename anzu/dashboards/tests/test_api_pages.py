"""The KPI API and page: shape, errors, access (role → 403, other organization and scope → 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anzu.common.testing import PASSWORD, make_tenant, make_user

URL = "/api/v1/kpis/collections"
QUERY = {"as_of": "2026-03-10", "start": "2026-02-01", "end": "2026-03-10"}


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# API ----------------------------------------------------------------------------------------


def test_api_shape_and_values(ledger: Any, finance: Any) -> None:
    response = client_for(finance).get(URL, QUERY)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "as_of",
        "start",
        "end",
        "project_id",
        "amounts_hidden",
        "overdue_by_amount",
        "overdue_by_lease",
        "days_to_collect",
        "aging",
        "collection_by_stage",
        "trend",
    }
    assert (body["as_of"], body["start"], body["end"], body["project_id"]) == (
        "2026-03-10",
        "2026-02-01",
        "2026-03-10",
        None,
    )
    assert body["amounts_hidden"] is False
    # Money, rates and averages are strings.
    assert body["overdue_by_amount"] == {
        "due_amount": "19300.00",
        "overdue_amount": "8200.00",
        "rate": "42.49",
    }
    assert body["overdue_by_lease"] == {"leases": 3, "overdue_leases": 2, "rate": "66.67"}
    assert body["days_to_collect"] == {"bills": 4, "mean": "20.75", "median": "16.00"}
    assert body["aging"] == {
        "as_of": "2026-03-10",
        "buckets": [
            {"bucket": "0-30", "count": 2, "amount": "3200.00"},
            {"bucket": "31-60", "count": 1, "amount": "2500.00"},
            {"bucket": "61-90", "count": 0, "amount": "0.00"},
            {"bucket": "90+", "count": 1, "amount": "2500.00"},
        ],
        "overdue_total": "8200.00",
        "overdue_count": 4,
    }
    stages = body["collection_by_stage"]
    assert [(s["stage"], s["amount"], s["bills"]) for s in stages["stages"]] == [
        ("none", "2500.00", 1),
        ("T-7", "2500.00", 1),
        ("D+1", "1000.00", 1),
        ("D+7", "2000.00", 1),
        ("D+14", "1000.00", 1),
    ]
    assert (stages["total"], stages["allocations"]) == ("9000.00", 5)
    assert len(body["trend"]) == 12
    assert body["trend"][-1] == {
        "month": "2026-03",
        "as_of": "2026-03-10",
        "due_amount": "19300.00",
        "overdue_amount": "8200.00",
        "overdue_rate": "42.49",
        "collected": "5500.00",
    }
    assert body["trend"][0]["overdue_rate"] is None


def test_api_defaults_to_today_and_its_month(ledger: Any, finance: Any, today: Any) -> None:
    body = client_for(finance).get(URL).json()
    assert (body["as_of"], body["start"], body["end"]) == ("2026-03-20", "2026-03-01", "2026-03-20")
    assert body["trend"][-1]["month"] == "2026-03"


def test_api_project_filter(ledger: Any, finance: Any, portfolio: Any) -> None:
    body = client_for(finance).get(URL, {**QUERY, "project_id": portfolio["p2"].pk}).json()
    assert body["project_id"] == portfolio["p2"].pk
    assert body["overdue_by_amount"]["rate"] == "65.79"


@pytest.mark.parametrize("field", ["as_of", "start", "end"])
@pytest.mark.parametrize("value", ["2026-02-30", "yesterday", "2026/03/01"])
def test_api_bad_dates_name_the_field(ledger: Any, finance: Any, field: str, value: str) -> None:
    response = client_for(finance).get(URL, {**QUERY, field: value})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert body["code"] == "invalid"


@pytest.mark.parametrize("field", ["as_of", "start", "end"])
def test_api_dates_out_of_range(ledger: Any, finance: Any, field: str) -> None:
    response = client_for(finance).get(
        URL,
        {"start": "1899-12-31", "end": "1899-12-31", "as_of": "1899-12-31", field: "0001-01-01"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "out_of_range",
        "message": "Choose a date between 1900 and 2999.",
        "field": "as_of",
    }
    response = client_for(finance).get(URL, {**QUERY, field: "9999-12-31"})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("out_of_range", field)


def test_api_end_before_start(ledger: Any, finance: Any) -> None:
    response = client_for(finance).get(URL, {**QUERY, "start": "2026-03-05", "end": "2026-03-04"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "period_reversed",
        "message": "The period ends before it starts.",
        "field": "end",
    }


def test_api_bad_project_id(ledger: Any, finance: Any) -> None:
    response = client_for(finance).get(URL, {**QUERY, "project_id": "abc"})
    assert response.status_code == 422
    assert response.json()["field"] == "project_id"


@pytest.mark.parametrize("role", ["frontline", "customer_service", "legal", "engineer"])
def test_api_roles_without_kpi_view_get_403(ledger: Any, org: Any, role: str) -> None:
    response = client_for(make_user(org, role)).get(URL, QUERY)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("role", ["admin", "management", "finance"])
def test_api_roles_with_kpi_view(ledger: Any, org: Any, role: str) -> None:
    response = client_for(make_user(org, role)).get(URL, QUERY)
    assert response.status_code == 200
    assert response.json()["overdue_by_amount"]["rate"] == "42.49"


def test_api_tenant_gets_403(ledger: Any, portfolio: Any) -> None:
    tenant = make_tenant(portfolio["customer"])
    assert client_for(tenant).get(URL, QUERY).status_code == 403


def test_api_anonymous_gets_401(ledger: Any) -> None:
    response = Client().get(URL, QUERY)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_api_other_org_project_is_404(ledger: Any, finance: Any) -> None:
    response = client_for(finance).get(URL, {**QUERY, "project_id": ledger["other_project"].pk})
    assert response.status_code == 404
    assert response.json()["field"] == "project_id"


def test_api_out_of_scope_project_is_404(ledger: Any, org: Any, portfolio: Any) -> None:
    scoped = make_user(org, "finance", projects=[portfolio["p1"]])
    client = client_for(scoped)
    response = client.get(URL, {**QUERY, "project_id": portfolio["p2"].pk})
    assert response.status_code == 404
    body = client.get(URL, QUERY).json()
    assert body["overdue_by_amount"] == {
        "due_amount": "11700.00",
        "overdue_amount": "3200.00",
        "rate": "27.35",
    }


def test_api_other_org_sees_only_its_own(ledger: Any, other_org: Any) -> None:
    body = client_for(make_user(other_org, "finance")).get(URL, QUERY).json()
    assert body["overdue_by_amount"] == {
        "due_amount": "9999.00",
        "overdue_amount": "9000.00",
        "rate": "90.01",
    }
    assert body["overdue_by_lease"] == {"leases": 1, "overdue_leases": 1, "rate": "100.00"}


def test_api_is_read_only(ledger: Any, finance: Any) -> None:
    response = client_for(finance).post(URL, QUERY)
    assert response.status_code in (403, 405)


# Page ---------------------------------------------------------------------------------------


def page_url() -> str:
    return reverse("dashboards:collections")


def test_page_renders_the_kpis_in_chinese(ledger: Any, finance: Any) -> None:
    response = client_for(finance).get(page_url(), QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "催收指标" in html
    assert "42.49%" in html  # overdue rate by amount
    assert "66.67%" in html  # overdue rate by lease
    assert "20.75" in html and "16.00" in html
    assert "¥8,200.00" in html and "¥19,300.00" in html
    assert 'id="aging-90+"' in html
    assert "逾期第14天退租清算" in html
    assert 'id="trend-2026-03"' in html
    assert "<svg" in html
    assert "月末金额逾期率" in html
    assert "Overdue" not in html and "Collected" not in html
    kpis = response.context["kpis"]
    assert kpis["overdue_by_lease"]["overdue_leases"] == 2
    assert [b["amount"] for b in kpis["aging"]["buckets"]][3] == ledger["bills"]["B7"].amount - 1500


def test_page_in_english(ledger: Any, finance: Any) -> None:
    client = client_for(finance)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(page_url(), QUERY).content.decode()
    assert "Collection KPIs" in html
    assert "Overdue rate by amount" in html


def test_page_defaults(ledger: Any, finance: Any, today: Any) -> None:
    response = client_for(finance).get(page_url())
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {
        "as_of": dt.date(2026, 3, 20),
        "start": dt.date(2026, 3, 1),
        "end": dt.date(2026, 3, 20),
    }
    assert response.context["kpis"]["as_of"] == dt.date(2026, 3, 20)


def test_page_errors_sit_on_the_field(ledger: Any, finance: Any) -> None:
    client = client_for(finance)
    response = client.get(page_url(), {**QUERY, "as_of": "2026-02-30"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["as_of"]
    assert response.context["kpis"] is None
    response = client.get(page_url(), {**QUERY, "start": "2026-03-05", "end": "2026-03-04"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["end"]
    response = client.get(page_url(), {**QUERY, "start": "0001-01-01"})
    assert response.status_code == 422
    assert response.context["form"].errors == {"start": ["请选择 1900 年至 2999 年之间的日期。"]}


def test_page_project_choices_follow_scope(ledger: Any, org: Any, portfolio: Any) -> None:
    scoped = make_user(org, "finance", projects=[portfolio["p1"]])
    client = client_for(scoped)
    response = client.get(page_url(), QUERY)
    choices = [value for value, _label in response.context["form"].fields["project_id"].choices]
    assert choices == ["", portfolio["p1"].pk]
    response = client.get(page_url(), {**QUERY, "project_id": portfolio["p2"].pk})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["project_id"]


@pytest.mark.parametrize("role", ["frontline", "customer_service", "engineer"])
def test_page_forbidden_without_kpi_view(ledger: Any, org: Any, role: str) -> None:
    assert client_for(make_user(org, role)).get(page_url()).status_code == 403


def test_page_needs_login(ledger: Any) -> None:
    response = Client().get(page_url())
    assert response.status_code == 302


def test_menu_links_to_the_page(ledger: Any, finance: Any, org: Any) -> None:
    html = client_for(finance).get("/").content.decode()
    assert page_url() in html
    frontline_html = client_for(make_user(org, "frontline")).get("/").content.decode()
    assert page_url() not in frontline_html


def test_every_page_string_has_a_chinese_translation() -> None:
    import re
    from pathlib import Path

    from django.utils import translation

    folder = Path(__file__).resolve().parent.parent / "templates" / "dashboards"
    text = "".join(p.read_text() for p in folder.glob("*.html"))
    msgids = set(re.findall(r'{% translate "([^"]+)" %}', text))
    assert len(msgids) > 25
    with translation.override("zh-hans"):
        untranslated = sorted(m for m in msgids if translation.gettext(m) == m)
    assert untranslated == []
