"""Portfolio API: projects, buildings, units and equipment over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from anzu.common.testing import EquipmentFactory, UnitFactory, make_user
from anzu.core.models import AuditEvent
from anzu.portfolio.models import Building, Equipment, Project, Unit

pytestmark = pytest.mark.django_db

JSON = "application/json"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api(manager: Any) -> Client:
    return logged_in(manager)


def counts() -> tuple[int, ...]:
    return (
        Project.objects.count(),
        Building.objects.count(),
        Unit.objects.count(),
        Equipment.objects.count(),
        AuditEvent.objects.count(),
    )


# Projects ---------------------------------------------------------------------------------


def test_project_create_read_update(api, org):
    created = api.post(
        "/api/v1/projects",
        data={"code": "P9", "name": "虹口公寓", "city": "上海", "district": "虹口"},
        content_type=JSON,
    )
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("code", "name", "city", "district")} == {
        "code": "P9",
        "name": "虹口公寓",
        "city": "上海",
        "district": "虹口",
    }
    project = Project.objects.get(pk=body["id"])
    assert project.organization_id == org.pk
    assert api.get(f"/api/v1/projects/{project.pk}").json()["name"] == "虹口公寓"
    patched = api.patch(
        f"/api/v1/projects/{project.pk}", data={"name": "虹口新苑"}, content_type=JSON
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "虹口新苑"
    assert patched.json()["code"] == "P9"
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "project.create",
        "project.update",
    ]


def test_project_list_filter_and_pagination(api, portfolio):
    body = api.get("/api/v1/projects").json()
    assert [p["code"] for p in body["items"]] == ["P1", "P2"]
    assert (body["page"], body["page_size"], body["total"]) == (1, 50, 2)
    assert [p["code"] for p in api.get("/api/v1/projects?q=浦东").json()["items"]] == ["P2"]
    assert [p["code"] for p in api.get("/api/v1/projects?q=p1").json()["items"]] == ["P1"]
    page2 = api.get("/api/v1/projects?page=2&page_size=1").json()
    assert page2 == {**page2, "page": 2, "page_size": 1, "total": 2}
    assert [p["code"] for p in page2["items"]] == ["P2"]
    assert api.get("/api/v1/projects?page=3&page_size=1").json()["items"] == []


def test_project_duplicate_code_is_409(api, portfolio):
    before = counts()
    response = api.post("/api/v1/projects", data={"code": "P1", "name": "x"}, content_type=JSON)
    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate",
        "message": "A project with code 'P1' already exists.",
        "field": "code",
    }
    assert counts() == before


def test_project_name_too_long_is_422(api, portfolio):
    before = counts()
    response = api.post(
        "/api/v1/projects", data={"code": "P9", "name": "长" * 201}, content_type=JSON
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("too_long", "name")
    assert counts() == before


# Buildings --------------------------------------------------------------------------------


def test_building_create_read_update(api, portfolio):
    created = api.post(
        "/api/v1/buildings",
        data={
            "project_id": portfolio["p1"].pk,
            "code": "B9",
            "name": "9号楼",
            "address": "上海市静安区测试路9号",
            "latitude": "31.2304",
            "longitude": 121.4737,
            "floors": 18,
        },
        content_type=JSON,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["project_id"] == portfolio["p1"].pk
    assert (body["latitude"], body["longitude"], body["floors"]) == ("31.230400", "121.473700", 18)
    detail = api.get(f"/api/v1/buildings/{body['id']}").json()
    assert detail == body
    patched = api.patch(f"/api/v1/buildings/{body['id']}", data={"floors": 20}, content_type=JSON)
    assert patched.json()["floors"] == 20


def test_building_list_filters(api, portfolio):
    items = api.get(f"/api/v1/buildings?project_id={portfolio['p2'].pk}").json()["items"]
    assert [b["code"] for b in items] == ["B2"]
    assert [b["code"] for b in api.get("/api/v1/buildings?q=1号").json()["items"]] == ["B1"]
    assert api.get("/api/v1/buildings").json()["total"] == 2


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"latitude": "91"}, "latitude", "too_large"),
        ({"longitude": "abc"}, "longitude", "invalid"),
        ({"project_id": 999999}, "project_id", "not_found"),
        ({"code": ""}, "code", "required"),
        ({"code": "B1"}, "code", "duplicate"),
    ],
)
def test_building_bad_input(api, portfolio, change, field, code):
    before = counts()
    data = {"project_id": portfolio["p1"].pk, "code": "B9", "name": "9号楼", **change}
    response = api.post("/api/v1/buildings", data=data, content_type=JSON)
    assert response.status_code == (409 if code == "duplicate" else 422)
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert counts() == before


def test_building_in_another_organization_is_unknown_project(api, other_org):
    from anzu.common.testing import ProjectFactory

    foreign = ProjectFactory(organization=other_org)
    response = api.post(
        "/api/v1/buildings",
        data={"project_id": foreign.pk, "code": "B9", "name": "x"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "project_id"
    assert Building.objects.filter(project=foreign).count() == 0


# Units ------------------------------------------------------------------------------------


def unit_payload(building: Building, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "building_id": building.pk,
        "code": "103",
        "floor": 1,
        "area_m2": "42.50",
        "layout": "2室1厅",
        "list_rent": "4800.00",
    }
    data.update(overrides)
    return data


def test_unit_create_read_update(api, portfolio):
    created = api.post("/api/v1/units", data=unit_payload(portfolio["b1"]), content_type=JSON)
    assert created.status_code == 201
    body = created.json()
    assert body["project_id"] == portfolio["p1"].pk
    assert body["building_id"] == portfolio["b1"].pk
    assert (body["area_m2"], body["list_rent"], body["status"]) == ("42.50", "4800.00", "vacant")
    assert api.get(f"/api/v1/units/{body['id']}").json() == body
    patched = api.patch(
        f"/api/v1/units/{body['id']}",
        data={"list_rent": 5000, "status": "maintenance"},
        content_type=JSON,
    )
    assert patched.status_code == 200
    assert (patched.json()["list_rent"], patched.json()["status"]) == ("5000.00", "maintenance")
    assert Unit.objects.get(pk=body["id"]).list_rent == 5000


def test_unit_list_filters_and_pagination(api, portfolio):
    UnitFactory(building=portfolio["b1"], code="301", floor=3)
    get = lambda query: [u["code"] for u in api.get(f"/api/v1/units?{query}").json()["items"]]  # noqa: E731
    assert get("") == ["101", "102", "301", "201", "202"]
    assert get(f"project_id={portfolio['p2'].pk}") == ["201", "202"]
    assert get(f"building_id={portfolio['b1'].pk}") == ["101", "102", "301"]
    assert get("floor=3") == ["301"]
    assert get("q=20") == ["201", "202"]
    assert get("status=vacant&q=10") == ["101", "102"]
    assert get("status=occupied") == []
    page = api.get("/api/v1/units?page=2&page_size=2").json()
    assert ([u["code"] for u in page["items"]], page["total"]) == (["301", "201"], 5)


def test_duplicate_unit_code_is_409_and_writes_nothing(api, portfolio):
    before = counts()
    response = api.post(
        "/api/v1/units", data=unit_payload(portfolio["b1"], code="101"), content_type=JSON
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate",
        "message": "Unit code '101' already exists in this building.",
        "field": "code",
    }
    assert counts() == before


def test_renaming_a_unit_onto_an_existing_code_is_409(api, portfolio):
    response = api.patch(
        f"/api/v1/units/{portfolio['u2'].pk}", data={"code": "101"}, content_type=JSON
    )
    assert response.status_code == 409
    assert response.json()["field"] == "code"
    assert Unit.objects.get(pk=portfolio["u2"].pk).code == "102"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"list_rent": "-1"}, "list_rent", "negative"),
        ({"list_rent": "abc"}, "list_rent", "invalid"),
        ({"area_m2": "0"}, "area_m2", "too_small"),
        ({"floor": "two"}, "floor", "invalid"),
        ({"status": "haunted"}, "status", "invalid_choice"),
        ({"building_id": 999999}, "building_id", "not_found"),
        ({"code": "x" * 41}, "code", "too_long"),
    ],
)
def test_unit_bad_input_names_the_field_and_writes_nothing(api, portfolio, change, field, code):
    before = counts()
    response = api.post(
        "/api/v1/units", data=unit_payload(portfolio["b1"], **change), content_type=JSON
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert counts() == before


def test_unit_patch_bad_input_changes_nothing(api, portfolio):
    unit = portfolio["u1"]
    response = api.patch(
        f"/api/v1/units/{unit.pk}", data={"list_rent": "-5", "layout": "3室"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["field"] == "list_rent"
    unit.refresh_from_db()
    assert (unit.list_rent, unit.layout) == (3200, "1室1厅")


# Equipment --------------------------------------------------------------------------------


def test_equipment_create_read_update(api, portfolio):
    created = api.post(
        "/api/v1/equipment",
        data={
            "unit_id": portfolio["u1"].pk,
            "type": "water_heater",
            "brand": "美的",
            "model": "F60",
            "batch": "2025-01",
            "installed_on": "2025-02-01",
        },
        content_type=JSON,
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["building_id"], body["unit_id"]) == (portfolio["b1"].pk, portfolio["u1"].pk)
    assert body["installed_on"] == "2025-02-01"
    assert api.get(f"/api/v1/equipment/{body['id']}").json() == body
    patched = api.patch(
        f"/api/v1/equipment/{body['id']}", data={"batch": "2025-02"}, content_type=JSON
    )
    assert patched.json()["batch"] == "2025-02"
    shared = api.post(
        "/api/v1/equipment",
        data={"building_id": portfolio["b2"].pk, "type": "elevator"},
        content_type=JSON,
    )
    assert shared.status_code == 201
    assert shared.json()["unit_id"] is None


def test_equipment_list_filters(api, portfolio):
    EquipmentFactory(unit=portfolio["u1"], brand="格力", model="KFR-35GW", batch="2024-03")
    EquipmentFactory(unit=portfolio["u3"], brand="格力", model="KFR-35GW", batch="2024-04")
    EquipmentFactory(unit=portfolio["u3"], type="water_heater", brand="美的", model="F60", batch="")

    def get(query: str) -> list[int | None]:
        return [e["unit_id"] for e in api.get(f"/api/v1/equipment?{query}").json()["items"]]

    u1, u3 = portfolio["u1"].pk, portfolio["u3"].pk
    assert get("") == [u1, u3, u3]
    assert get(f"building_id={portfolio['b2'].pk}") == [u3, u3]
    assert get(f"unit_id={u1}") == [u1]
    assert get("type=water_heater") == [u3]
    assert get("brand=格力&model=KFR-35GW") == [u1, u3]
    assert get("batch=2024-04") == [u3]
    assert api.get("/api/v1/equipment?page_size=1&page=3").json()["total"] == 3


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"type": "teleporter"}, "type", "invalid_choice"),
        ({"installed_on": "2025-13-01"}, "installed_on", "invalid"),
        ({"unit_id": 999999}, "unit_id", "not_found"),
        ({"building_id": 999999, "unit_id": None}, "building_id", "not_found"),
    ],
)
def test_equipment_bad_input(api, portfolio, change, field, code):
    before = counts()
    data = {"unit_id": portfolio["u1"].pk, "type": "router", **change}
    response = api.post("/api/v1/equipment", data=data, content_type=JSON)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert counts() == before


def test_equipment_unit_must_be_in_the_building(api, portfolio):
    response = api.post(
        "/api/v1/equipment",
        data={"unit_id": portfolio["u1"].pk, "building_id": portfolio["b2"].pk, "type": "router"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("mismatch", "building_id")


def test_engineer_may_write_equipment_but_not_units(org, portfolio):
    engineer = make_user(org, "engineer")
    client = logged_in(engineer)
    ok = client.post(
        "/api/v1/equipment",
        data={"unit_id": portfolio["u1"].pk, "type": "router"},
        content_type=JSON,
    )
    assert ok.status_code == 201
    before = counts()
    refused = client.post("/api/v1/units", data=unit_payload(portfolio["b1"]), content_type=JSON)
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "forbidden",
        "message": "You do not have permission to do this.",
        "field": None,
    }
    assert counts() == before
