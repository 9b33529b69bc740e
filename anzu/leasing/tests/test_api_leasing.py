"""Leasing API: customers, leases and lease actions over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from anzu.common.testing import CustomerFactory, lease_data, make_user, resident_id
from anzu.core.models import AuditEvent
from anzu.leasing import services
from anzu.leasing.models import Customer, Lease
from anzu.portfolio.models import Unit
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db

JSON = "application/json"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api(manager: Any) -> Client:
    return logged_in(manager)


def counts() -> tuple[int, int, int]:
    return Customer.objects.count(), Lease.objects.count(), AuditEvent.objects.count()


# Customers --------------------------------------------------------------------------------


def customer_payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "person",
        "name": "韩梅梅",
        "id_type": "resident_id",
        "id_number": resident_id(501),
        "phone": "13912345678",
        "email": "hmm@example.com",
        "tags": ["学生", "续租"],
    }
    data.update(overrides)
    return data


def test_customer_create_read_update(api, portfolio):
    created = api.post(
        "/api/v1/customers",
        data=customer_payload(project_id=portfolio["p1"].pk),
        content_type=JSON,
    )
    assert created.status_code == 201
    body = created.json()
    # Management does not hold pii.view: ID and phone come back masked, as in the web UI.
    assert body["id_number"] == "310***********5017"
    assert body["masked"] is True
    assert body["phone"] == "139****5678"
    assert body["email"] == ""
    assert body["tags"] == ["学生", "续租"]
    customer = Customer.objects.get(pk=body["id"])
    assert customer.id_number == resident_id(501)
    assert customer.phone == "13912345678"
    assert api.get(f"/api/v1/customers/{customer.pk}").json() == body
    patched = api.patch(
        f"/api/v1/customers/{customer.pk}", data={"name": "韩梅"}, content_type=JSON
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "韩梅"
    assert Customer.objects.get(pk=customer.pk).id_number == resident_id(501)


def test_finance_sees_customer_personal_data_in_full(org, portfolio):
    finance = make_user(org, "finance")
    customer = portfolio["customer"]
    body = logged_in(finance).get(f"/api/v1/customers/{customer.pk}").json()
    assert (body["id_number"], body["phone"], body["masked"]) == (
        customer.id_number,
        customer.phone,
        False,
    )


def test_customer_list_filters(api, org, portfolio):
    CustomerFactory(organization=org, name="王芳", tags=["逾期", "学生"])
    CustomerFactory(
        organization=org,
        name="上海某科技有限公司",
        kind="company",
        id_type="uscc",
        id_number="91310000MA1FL0000X",
        tags=["企业"],
    )

    def names(query: str) -> list[str]:
        return [c["name"] for c in api.get(f"/api/v1/customers?{query}").json()["items"]]

    assert names("") == ["上海某科技有限公司", "李雷", "王芳"]
    assert names("q=王") == ["王芳"]
    assert names("kind=company") == ["上海某科技有限公司"]
    assert names("tag=学生") == ["王芳"]
    assert names("tag=学") == []
    assert names(f"id_number={portfolio['customer'].id_number}") == ["李雷"]
    assert names(f"id_number={portfolio['customer'].id_number.lower()}") == ["李雷"]
    assert names("id_number=110101199001010000") == []
    body = api.get("/api/v1/customers?page=2&page_size=2").json()
    assert ([c["name"] for c in body["items"]], body["total"]) == (["王芳"], 3)


@pytest.mark.parametrize(
    ("change", "field", "code", "status"),
    [
        ({"id_number": "12345"}, "id_number", "invalid", 422),
        ({"phone": "12"}, "phone", "invalid", 422),
        ({"kind": "alien"}, "kind", "invalid_choice", 422),
        ({"name": None}, "name", "invalid", 422),
        ({"tags": "not-a-list"}, "tags", "invalid", 422),
        ({"project_id": 999999}, "project_id", "not_found", 422),
    ],
)
def test_customer_bad_input_writes_nothing(api, portfolio, change, field, code, status):
    before = counts()
    response = api.post("/api/v1/customers", data=customer_payload(**change), content_type=JSON)
    assert response.status_code == status
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert counts() == before


def test_duplicate_customer_identity_is_409(api, portfolio):
    before = counts()
    response = api.post(
        "/api/v1/customers",
        data=customer_payload(id_number=portfolio["customer"].id_number),
        content_type=JSON,
    )
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["field"]) == ("duplicate", "id_number")
    assert counts() == before


# Leases -----------------------------------------------------------------------------------


def test_lease_create_read_update(api, portfolio):
    created = api.post(
        "/api/v1/leases",
        data=lease_data(
            portfolio["u1"],
            portfolio["customer"],
            rent_free_periods=[{"start": "2026-01-01", "end": "2026-01-15"}],
        ),
        content_type=JSON,
    )
    # Creating a lease is guarded: 202 with the approval request, then a checker approves.
    assert created.status_code == 202
    assert created.json()["action"] == "lease.create"
    assert not Lease.objects.exists()
    approve_as(ApprovalRequest.objects.get(pk=created.json()["id"]))
    lease_id = Lease.objects.get().pk
    body = api.get(f"/api/v1/leases/{lease_id}").json()
    assert {k: body[k] for k in ("code", "status", "unit_code", "customer_name", "version")} == {
        "code": "L2026-000001",
        "status": "draft",
        "unit_code": "101",
        "customer_name": "李雷",
        "version": 1,
    }
    assert (body["monthly_rent"], body["deposit"], body["payment_cycle"]) == (
        "3200.00",
        "3200.00",
        "押1付1",
    )
    assert body["rent_free_periods"] == [{"start": "2026-01-01", "end": "2026-01-15"}]
    assert Unit.objects.get(pk=portfolio["u1"].pk).status == "reserved"
    assert api.get(f"/api/v1/leases/{body['id']}").json() == body
    patched = api.patch(
        f"/api/v1/leases/{body['id']}",
        data={"monthly_rent": "3300", "version": 1},
        content_type=JSON,
    )
    assert patched.status_code == 200
    assert (patched.json()["monthly_rent"], patched.json()["deposit"]) == ("3300.00", "3300.00")
    assert patched.json()["version"] == 2


def test_lease_patch_with_stale_version_is_409(api, portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_update(lease=lease, by=manager, data={"monthly_rent": "3300"})
    before = counts()
    response = api.patch(
        f"/api/v1/leases/{lease.pk}", data={"monthly_rent": "3400", "version": 1}, content_type=JSON
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "stale",
        "message": "The lease was changed by someone else; reload and try again.",
        "field": "version",
        "current_version": 2,
    }
    assert counts() == before
    assert str(Lease.objects.get(pk=lease.pk).monthly_rent) == "3300.00"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"end_date": "2025-12-01"}, "end_date", "end_before_start"),
        ({"end_date": "2046-01-01"}, "end_date", "term_too_long"),
        ({"monthly_rent": "-1"}, "monthly_rent", "negative"),
        ({"monthly_rent": -0.01}, "monthly_rent", "negative"),
        ({"monthly_rent": "abc"}, "monthly_rent", "invalid"),
        ({"monthly_rent": "12.345"}, "monthly_rent", "precision"),
        ({"monthly_rent": None}, "monthly_rent", "invalid"),
        ({"unit_id": 999999}, "unit_id", "not_found"),
        ({"unit_id": "abc"}, "unit_id", "invalid"),
        ({"customer_id": 999999}, "customer_id", "not_found"),
        ({"start_date": "2026-02-30"}, "start_date", "invalid"),
        ({"pay_months": 2}, "pay_months", "invalid_choice"),
        ({"deposit_months": 13}, "deposit_months", "too_large"),
        (
            {"rent_free_periods": [{"start": "2025-01-01", "end": "2025-01-10"}]},
            "rent_free_periods",
            "invalid",
        ),
        ({"escalation_pct": "5"}, "escalation_every_months", "required"),
    ],
)
def test_lease_bad_input_names_the_field_and_writes_nothing(api, portfolio, change, field, code):
    before = counts()
    unit_status = Unit.objects.get(pk=portfolio["u1"].pk).status
    response = api.post(
        "/api/v1/leases",
        data=lease_data(portfolio["u1"], portfolio["customer"], **change),
        content_type=JSON,
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert isinstance(body["message"], str) and body["message"]
    assert counts() == before
    assert Unit.objects.get(pk=portfolio["u1"].pk).status == unit_status


def test_missing_required_lease_field_is_422(api, portfolio):
    data = lease_data(portfolio["u1"], portfolio["customer"])
    del data["start_date"]
    response = api.post("/api/v1/leases", data=data, content_type=JSON)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("required", "start_date")
    assert Lease.objects.count() == 0


def test_overlapping_lease_is_409_naming_the_conflict(api, portfolio, manager):
    first = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    before = counts()
    response = api.post(
        "/api/v1/leases",
        data=lease_data(
            portfolio["u1"], portfolio["customer"], start_date="2026-06-01", end_date="2027-05-31"
        ),
        content_type=JSON,
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "lease_overlap",
        "message": (
            f"The unit is already leased from 2026-01-01 to 2026-12-31 by lease {first.code}."
        ),
        "field": "start_date",
        "conflicting_lease": {
            "id": first.pk,
            "code": first.code,
            "status": "draft",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
    }
    # Nothing is written but the refusal's own audit event.
    customers, leases, events = before
    assert counts() == (customers, leases, events + 1)
    refused = AuditEvent.objects.latest("id")
    assert (refused.action, refused.actor_id) == ("lease.create_refused", manager.pk)
    assert refused.changes["conflicting_lease"] == [None, first.code]


def test_lease_list_filters_and_order(api, portfolio, manager, org):
    other = CustomerFactory(organization=org, name="王芳", project=portfolio["p2"])
    mk = lambda unit, customer, **kw: approve_as(  # noqa: E731
        services.lease_create(by=manager, data=lease_data(unit, customer, **kw))
    )
    a = mk(portfolio["u1"], portfolio["customer"], start_date="2026-01-01", end_date="2026-06-30")
    b = mk(portfolio["u1"], portfolio["customer"], start_date="2026-07-01", end_date="2027-06-30")
    c = mk(portfolio["u3"], other, start_date="2026-03-01", end_date="2027-02-28", code="X-77")
    d = mk(portfolio["u4"], other, start_date="2026-07-01", end_date="2026-12-31")
    services.lease_submit(lease=c, by=manager)

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/leases?{query}")
        assert response.status_code == 200, response.content
        return [x["id"] for x in response.json()["items"]]

    # Newest start first, then highest id.
    assert ids("") == [d.pk, b.pk, c.pk, a.pk]
    assert ids("status=pending_approval") == [c.pk]
    assert ids("status=draft") == [d.pk, b.pk, a.pk]
    assert ids(f"project_id={portfolio['p1'].pk}") == [b.pk, a.pk]
    assert ids(f"building_id={portfolio['b2'].pk}") == [d.pk, c.pk]
    assert ids(f"unit_id={portfolio['u1'].pk}") == [b.pk, a.pk]
    assert ids(f"customer_id={other.pk}") == [d.pk, c.pk]
    assert ids("start_from=2026-03-01&start_to=2026-06-30") == [c.pk]
    assert ids("end_from=2027-01-01") == [b.pk, c.pk]
    assert ids("end_to=2026-12-31") == [d.pk, a.pk]
    assert ids("q=x-7") == [c.pk]
    assert ids("q=L2026-00000") == [d.pk, b.pk, a.pk]
    assert ids("q=000001") == [a.pk]
    page = api.get("/api/v1/leases?page=2&page_size=3").json()
    assert ([x["id"] for x in page["items"]], page["page"], page["total"]) == ([a.pk], 2, 4)
    full = api.get("/api/v1/leases?page_size=4").json()
    assert (len(full["items"]), full["total"]) == (4, 4)
    beyond = api.get("/api/v1/leases?page=3&page_size=3").json()
    assert beyond == {"items": [], "page": 3, "page_size": 3, "total": 4}
    assert api.get("/api/v1/leases?status=void").json()["total"] == 0
    for query, field in (
        ("page=0", "page"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
    ):
        bad = api.get(f"/api/v1/leases?{query}")
        assert (bad.status_code, bad.json()["field"]) == (422, field)


def test_lease_list_does_not_query_per_row(api, portfolio, manager, org, django_assert_num_queries):
    for i, unit in enumerate([portfolio["u1"], portfolio["u2"], portfolio["u3"], portfolio["u4"]]):
        customer = CustomerFactory(organization=org, name=f"客户{i}")
        approve_as(services.lease_create(by=manager, data=lease_data(unit, customer)))
    # session, user, roles, one query for the page's rows, the count
    with django_assert_num_queries(5):
        response = api.get("/api/v1/leases?page_size=2")
    assert (len(response.json()["items"]), response.json()["total"]) == (2, 4)
    # A short page tells the total by itself: no COUNT(*).
    with django_assert_num_queries(4):
        response = api.get("/api/v1/leases")
    assert (len(response.json()["items"]), response.json()["total"]) == (4, 4)


def test_lease_lifecycle_through_actions(api, portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    url = f"/api/v1/leases/{lease.pk}"
    submitted = api.post(f"{url}/submit", content_type=JSON)
    assert (submitted.status_code, submitted.json()["status"]) == (200, "pending_approval")
    back = api.post(f"{url}/return-to-draft", data={"version": 2}, content_type=JSON)
    assert (back.status_code, back.json()["status"], back.json()["version"]) == (200, "draft", 3)
    api.post(f"{url}/submit", data={}, content_type=JSON)
    asked = api.post(f"{url}/activate", data={"version": 4}, content_type=JSON)
    assert (asked.status_code, asked.json()["action"]) == (202, "lease.activate")
    approve_as(ApprovalRequest.objects.get(pk=asked.json()["id"]))
    activated = api.get(url)
    assert (activated.json()["status"], activated.json()["version"]) == ("active", 5)
    terminated = api.post(
        f"{url}/terminate",
        data={"on": "2026-03-31", "reason": "提前退租", "version": 5},
        content_type=JSON,
    )
    assert terminated.status_code == 200
    assert {k: terminated.json()[k] for k in ("status", "terminated_on", "occupied_until")} == {
        "status": "terminated",
        "terminated_on": "2026-03-31",
        "occupied_until": "2026-03-31",
    }
    illegal = api.post(f"{url}/submit", content_type=JSON)
    assert illegal.status_code == 409
    assert illegal.json() == {
        "code": "illegal_transition",
        "message": "Cannot change status from terminated to pending_approval.",
        "field": "status",
        "current": "terminated",
        "target": "pending_approval",
    }


def test_lease_action_with_stale_version_is_409(api, portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    response = api.post(f"/api/v1/leases/{lease.pk}/submit", data={"version": 7}, content_type=JSON)
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["current_version"]) == ("stale", 1)
    assert Lease.objects.get(pk=lease.pk).status == "draft"


def test_void_releases_the_unit(api, portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    response = api.post(
        f"/api/v1/leases/{lease.pk}/void", data={"reason": "客户放弃"}, content_type=JSON
    )
    assert (response.status_code, response.json()["status"]) == (200, "void")
    assert response.json()["termination_reason"] == "客户放弃"
    assert Unit.objects.get(pk=portfolio["u1"].pk).status == "vacant"


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"on": "2025-12-31", "reason": "x"}, "on", "invalid"),
        ({"on": "2027-01-01", "reason": "x"}, "on", "invalid"),
        ({"on": "2026-03-31", "reason": " "}, "reason", "required"),
        ({"reason": "x"}, "on", "required"),
        ({"on": "soon", "reason": "x"}, "on", "invalid"),
    ],
)
def test_terminate_bad_input_names_the_body_field(api, portfolio, manager, data, field, code):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_submit(lease=lease, by=manager)
    approve_as(services.lease_activate(lease=lease, by=manager))
    before = counts()
    response = api.post(f"/api/v1/leases/{lease.pk}/terminate", data=data, content_type=JSON)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert counts() == before
    assert Lease.objects.get(pk=lease.pk).status == "active"


def test_finance_may_not_activate(org, portfolio, manager):
    finance = make_user(org, "finance")
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_submit(lease=lease, by=manager)
    response = logged_in(finance).post(f"/api/v1/leases/{lease.pk}/activate", content_type=JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Lease.objects.get(pk=lease.pk).status == "pending_approval"
