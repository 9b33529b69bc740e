"""The access matrix of the API: role × scope × resource × field, read off tables.

Every staff user here is scoped to project P1; the tenant is the customer of the in-scope lease.
"in" objects belong to P1 (or to the tenant), "out" objects to P2 of the same organization, and
"foreign" objects to another organization. Invisible objects answer 404, never 403; visible
objects that the role may not change answer 403; and nothing is written when a write is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from anzu.common.crypto import mask_id_number, mask_phone
from anzu.common.testing import (
    BuildingFactory,
    CustomerFactory,
    EquipmentFactory,
    ProjectFactory,
    UnitFactory,
    lease_data,
    make_tenant,
    make_user,
    resident_id,
)
from anzu.core.models import AuditEvent
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Customer, Lease
from anzu.portfolio.models import Building, Equipment, Project, Unit
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db

JSON = "application/json"
ROLES = [
    "admin",
    "management",
    "finance",
    "legal",
    "customer_service",
    "frontline",
    "engineer",
    "tenant",
]
RESOURCES = ["projects", "buildings", "units", "equipment", "customers", "leases"]


def table(text: str) -> dict[str, dict[str, str]]:
    """Parse a whitespace table: first row names the columns, first column names the rows."""
    lines = [line.split() for line in text.strip().splitlines()]
    header = lines[0][1:]
    return {row[0]: dict(zip(header, row[1:], strict=True)) for row in lines[1:]}


# Which resources a role sees inside its scope (Y) — outside it and in another organization it
# sees nothing. The tenant's "scope" is its own customer record and its own leases.
VISIBILITY = table(
    """
    role              projects buildings units equipment customers leases
    admin             Y        Y         Y     Y         Y         Y
    management        Y        Y         Y     Y         Y         Y
    finance           Y        Y         Y     Y         Y         Y
    legal             Y        Y         Y     Y         Y         Y
    customer_service  Y        Y         Y     Y         Y         Y
    frontline         Y        Y         Y     Y         Y         Y
    engineer          Y        Y         Y     Y         -         -
    tenant            -        -         -     -         Y         Y
    """
)

# What a role sees of a customer's and a lease's fields: full, masked, hidden ("" for text),
# or null (amounts).
FIELDS = table(
    """
    role              id_number phone  email  customer_notes monthly_rent deposit late_fee lease_notes
    admin             masked    masked hidden hidden         full         full    full     full
    management        masked    masked hidden hidden         full         full    full     full
    finance           full      full   full   full           full         full    full     full
    legal             full      full   full   full           full         full    full     full
    customer_service  full      full   full   full           full         full    full     full
    frontline         masked    masked hidden hidden         null         null    null     hidden
    tenant            full      full   full   full           full         full    full     full
    """
)

# Writes on in-scope objects: the expected status per role (201/200 done, 202 submitted for
# approval (docs/approvals.md), 403 refused, 404 not visible to the role).
WRITES = table(
    """
    write                    admin management finance legal customer_service frontline engineer tenant
    project.create           201   201        403     403   403              403       403      403
    project.update           200   200        403     403   403              403       403      404
    building.create          201   201        403     403   403              403       403      403
    building.update          200   200        403     403   403              403       403      404
    unit.create              201   201        403     403   403              403       403      403
    unit.update              200   200        403     403   403              403       403      404
    equipment.create         201   201        403     403   403              403       201      403
    equipment.update         200   200        403     403   403              403       200      404
    customer.create          201   201        201     403   201              201       403      403
    customer.update          200   200        200     403   200              200       404      403
    lease.create             202   202        202     403   403              403       403      403
    lease.update             200   200        200     403   403              403       404      403
    lease.submit             200   200        200     403   403              403       404      403
    lease.activate           202   202        403     403   403              403       404      403
    lease.return_to_draft    200   200        403     403   403              403       404      403
    lease.terminate          200   200        200     403   403              403       404      403
    lease.void               200   200        200     403   403              403       404      403
    """
)


@pytest.fixture
def world(org: Any, other_org: Any, portfolio: dict[str, Any], admin_user: Any) -> dict[str, Any]:
    c1 = portfolio["customer"]
    c1.email = "lilei@example.com"
    c1.notes = "只接受电话联系"
    c1.save()
    c2 = CustomerFactory(organization=org, name="韩梅梅", project=portfolio["p2"])
    lease_in = approve_as(
        leasing_services.lease_create(
            by=admin_user,
            data=lease_data(portfolio["u1"], c1, notes="押金已收", late_fee_daily_rate="0.0005"),
        )
    )
    lease_out = approve_as(
        leasing_services.lease_create(by=admin_user, data=lease_data(portfolio["u3"], c2))
    )
    # Another organization with one of everything.
    foreign_admin = make_user(other_org, "admin", username="foreign-admin")
    fp = ProjectFactory(organization=other_org, code="FP")
    fb = BuildingFactory(project=fp, code="FB")
    fu = UnitFactory(building=fb, code="F01")
    fc = CustomerFactory(organization=other_org, name="外部客户", project=fp)
    fl = approve_as(leasing_services.lease_create(by=foreign_admin, data=lease_data(fu, fc)))
    return {
        **portfolio,
        "c2": c2,
        "in": {
            "projects": portfolio["p1"],
            "buildings": portfolio["b1"],
            "units": portfolio["u1"],
            "equipment": EquipmentFactory(unit=portfolio["u1"]),
            "customers": c1,
            "leases": lease_in,
        },
        "out": {
            "projects": portfolio["p2"],
            "buildings": portfolio["b2"],
            "units": portfolio["u3"],
            "equipment": EquipmentFactory(unit=portfolio["u3"]),
            "customers": c2,
            "leases": lease_out,
        },
        "foreign": {
            "projects": fp,
            "buildings": fb,
            "units": fu,
            "equipment": EquipmentFactory(unit=fu),
            "customers": fc,
            "leases": fl,
        },
    }


def user_for(role: str, world: dict[str, Any], org: Any) -> Any:
    if role == "tenant":
        return make_tenant(world["customer"])
    return make_user(org, role, username=f"scoped-{role}", projects=[world["p1"]])


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def written() -> tuple[int, ...]:
    return (
        Project.objects.count(),
        Building.objects.count(),
        Unit.objects.count(),
        Equipment.objects.count(),
        Customer.objects.count(),
        Lease.objects.count(),
        AuditEvent.objects.count(),
    )


# Visibility -------------------------------------------------------------------------------

VISIBILITY_CASES = [
    (role, resource, where, VISIBILITY[role][resource] == "Y" and where == "in")
    for role in ROLES
    for resource in RESOURCES
    for where in ("in", "out", "foreign")
]


@pytest.mark.parametrize(("role", "resource", "where", "visible"), VISIBILITY_CASES)
def test_detail_and_list_visibility(org, world, role, resource, where, visible):
    client = client_for(user_for(role, world, org))
    obj = world[where][resource]
    detail = client.get(f"/api/v1/{resource}/{obj.pk}")
    listed = client.get(f"/api/v1/{resource}?page_size=500")
    assert listed.status_code == 200
    listed_ids = {item["id"] for item in listed.json()["items"]}
    if visible:
        assert detail.status_code == 200
        assert detail.json()["id"] == obj.pk
        assert obj.pk in listed_ids
    else:
        assert detail.status_code == 404
        assert detail.json() == {
            "code": "not_found",
            "message": f"{resource.rstrip('s') if resource != 'equipment' else 'equipment'} not found",
            "field": None,
        }
        assert obj.pk not in listed_ids


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_exactly_the_in_scope_objects(org, world, role):
    client = client_for(user_for(role, world, org))
    for resource in RESOURCES:
        body = client.get(f"/api/v1/{resource}?page_size=500").json()
        expected = {world["in"][resource].pk} if VISIBILITY[role][resource] == "Y" else set()
        if resource == "units" and expected:
            expected.add(world["u2"].pk)  # the other unit of building B1 (project P1)
        assert {item["id"] for item in body["items"]} == expected, resource
        assert body["total"] == len(expected), resource


def test_org_wide_staff_see_out_of_scope_but_never_foreign_objects(org, world, admin_user):
    client = client_for(admin_user)
    for resource in RESOURCES:
        assert client.get(f"/api/v1/{resource}/{world['out'][resource].pk}").status_code == 200
        assert client.get(f"/api/v1/{resource}/{world['foreign'][resource].pk}").status_code == 404


# Fields -----------------------------------------------------------------------------------


def expected_text(mode: str, value: str, mask: Callable[[str], str] | None) -> str:
    if mode == "full":
        return value
    if mode == "masked":
        assert mask is not None
        return mask(value)
    assert mode == "hidden"
    return ""


@pytest.mark.parametrize("role", list(FIELDS))
def test_customer_fields_by_role(org, world, role):
    client = client_for(user_for(role, world, org))
    customer = world["customer"]
    expected = FIELDS[role]
    detail = client.get(f"/api/v1/customers/{customer.pk}").json()
    listed = client.get("/api/v1/customers").json()["items"]
    for body in (detail, next(item for item in listed if item["id"] == customer.pk)):
        assert body["id_number"] == expected_text(
            expected["id_number"], customer.id_number, mask_id_number
        )
        assert body["phone"] == expected_text(expected["phone"], customer.phone, mask_phone)
        assert body["email"] == expected_text(expected["email"], "lilei@example.com", None)
        assert body["notes"] == expected_text(expected["customer_notes"], "只接受电话联系", None)
        assert body["masked"] is (expected["id_number"] == "masked")
        assert body["name"] == "李雷"


@pytest.mark.parametrize("role", list(FIELDS))
def test_lease_fields_by_role(org, world, role):
    client = client_for(user_for(role, world, org))
    lease = world["in"]["leases"]
    expected = FIELDS[role]
    detail = client.get(f"/api/v1/leases/{lease.pk}").json()
    listed = client.get("/api/v1/leases").json()["items"]
    full = {"monthly_rent": "3200.00", "deposit": "3200.00", "late_fee": "0.00050"}
    for body in (detail, next(item for item in listed if item["id"] == lease.pk)):
        for column, key in (
            ("monthly_rent", "monthly_rent"),
            ("deposit", "deposit"),
            ("late_fee", "late_fee_daily_rate"),
        ):
            assert body[key] == (full[column] if expected[column] == "full" else None), key
        assert body["escalation_pct"] is None
        assert body["notes"] == ("押金已收" if expected["lease_notes"] == "full" else "")
        assert body["amounts_hidden"] is (expected["monthly_rent"] == "null")
        # Summaries are visible to everyone who sees the lease.
        assert (body["code"], body["unit_code"], body["customer_name"]) == (
            lease.code,
            "101",
            "李雷",
        )
        assert (body["start_date"], body["end_date"]) == ("2026-01-01", "2026-12-31")


def test_amounts_are_null_in_the_json_not_absent(org, world):
    body = client_for(user_for("frontline", world, org)).get(
        f"/api/v1/leases/{world['in']['leases'].pk}"
    )
    assert '"monthly_rent": null' in body.content.decode()


# Writes -----------------------------------------------------------------------------------


def _prepare_lease(world: dict[str, Any], admin: Any, *steps: str) -> Lease:
    lease = world["in"]["leases"]
    for step in steps:
        lease = approve_as(getattr(leasing_services, f"lease_{step}")(lease=lease, by=admin))
    return lease


def write_request(write: str, world: dict[str, Any], admin: Any) -> tuple[str, str, dict[str, Any]]:
    """(method, path, body) of one write on in-scope objects; lease state is prepared first."""
    w = world["in"]
    lease_path = f"/api/v1/leases/{w['leases'].pk}"
    if write == "lease.activate" or write == "lease.return_to_draft":
        _prepare_lease(world, admin, "submit")
    if write == "lease.terminate":
        _prepare_lease(world, admin, "submit", "activate")
    requests: dict[str, tuple[str, str, dict[str, Any]]] = {
        "project.create": ("post", "/api/v1/projects", {"code": "PX", "name": "新项目"}),
        "project.update": ("patch", f"/api/v1/projects/{w['projects'].pk}", {"name": "改名"}),
        "building.create": (
            "post",
            "/api/v1/buildings",
            {"project_id": w["projects"].pk, "code": "BX", "name": "新楼"},
        ),
        "building.update": ("patch", f"/api/v1/buildings/{w['buildings'].pk}", {"floors": 9}),
        "unit.create": (
            "post",
            "/api/v1/units",
            {
                "building_id": w["buildings"].pk,
                "code": "199",
                "floor": 1,
                "area_m2": "30",
                "list_rent": "2800",
            },
        ),
        "unit.update": ("patch", f"/api/v1/units/{world['u2'].pk}", {"layout": "开间"}),
        "equipment.create": (
            "post",
            "/api/v1/equipment",
            {"unit_id": w["units"].pk, "type": "router"},
        ),
        "equipment.update": ("patch", f"/api/v1/equipment/{w['equipment'].pk}", {"batch": "B2"}),
        "customer.create": (
            "post",
            "/api/v1/customers",
            {
                "kind": "person",
                "name": "新租客",
                "id_type": "resident_id",
                # A birth date no factory uses: factory ID numbers repeat every 1,000 customers.
                "id_number": resident_id(777, birth=dt.date(1984, 2, 29)),
                "project_id": w["projects"].pk,
            },
        ),
        "customer.update": ("patch", f"/api/v1/customers/{w['customers'].pk}", {"tags": ["VIP"]}),
        "lease.create": (
            "post",
            "/api/v1/leases",
            lease_data(world["u2"], w["customers"]),
        ),
        "lease.update": ("patch", lease_path, {"notes": "改了备注"}),
        "lease.submit": ("post", f"{lease_path}/submit", {}),
        "lease.activate": ("post", f"{lease_path}/activate", {}),
        "lease.return_to_draft": ("post", f"{lease_path}/return-to-draft", {}),
        "lease.terminate": (
            "post",
            f"{lease_path}/terminate",
            {"on": "2026-06-30", "reason": "退租"},
        ),
        "lease.void": ("post", f"{lease_path}/void", {"reason": "作废"}),
    }
    return requests[write]


WRITE_CASES = [(write, role, int(WRITES[write][role])) for write in WRITES for role in ROLES]


@pytest.mark.parametrize(("write", "role", "status"), WRITE_CASES)
def test_writes_by_role(org, world, admin_user, write, role, status):
    method, path, body = write_request(write, world, admin_user)
    client = client_for(user_for(role, world, org))
    before = written()
    response = getattr(client, method)(path, data=body, content_type=JSON)
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json() == {
            "code": "forbidden",
            "message": "You do not have permission to do this.",
            "field": None,
        }
    if status == 404:
        assert response.json()["code"] == "not_found"
    if status in (403, 404):
        assert written() == before


# Another organization ---------------------------------------------------------------------

FOREIGN_WRITES = [
    ("patch", "projects", "", {"name": "x"}),
    ("patch", "buildings", "", {"name": "x"}),
    ("patch", "units", "", {"layout": "x"}),
    ("patch", "equipment", "", {"batch": "x"}),
    ("patch", "customers", "", {"name": "x"}),
    ("patch", "leases", "", {"notes": "x"}),
    ("post", "leases", "/submit", {}),
    ("post", "leases", "/activate", {}),
    ("post", "leases", "/return-to-draft", {}),
    ("post", "leases", "/terminate", {"on": "2026-06-30", "reason": "x"}),
    ("post", "leases", "/void", {"reason": "x"}),
]


@pytest.mark.parametrize(("method", "resource", "suffix", "body"), FOREIGN_WRITES)
def test_writes_on_another_organizations_objects_are_404(
    org, world, admin_user, method, resource, suffix, body
):
    obj = world["foreign"][resource]
    before = written()
    response = getattr(client_for(admin_user), method)(
        f"/api/v1/{resource}/{obj.pk}{suffix}", data=body, content_type=JSON
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert written() == before


@pytest.mark.parametrize(
    ("path", "field", "make_body"),
    [
        (
            "/api/v1/buildings",
            "project_id",
            lambda f: {"project_id": f["projects"].pk, "code": "X", "name": "X"},
        ),
        (
            "/api/v1/units",
            "building_id",
            lambda f: {
                "building_id": f["buildings"].pk,
                "code": "X",
                "floor": 1,
                "area_m2": "10",
                "list_rent": "1",
            },
        ),
        ("/api/v1/equipment", "unit_id", lambda f: {"unit_id": f["units"].pk, "type": "router"}),
        ("/api/v1/leases", "unit_id", lambda f: {**lease_data(f["units"], f["customers"])}),
    ],
)
def test_references_to_another_organization_are_unknown(
    org, world, admin_user, path, field, make_body
):
    body = make_body(world["foreign"])
    if path == "/api/v1/leases":
        body["customer_id"] = world["customer"].pk
    before = written()
    response = client_for(admin_user).post(path, data=body, content_type=JSON)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("not_found", field)
    assert written() == before


def test_lease_for_another_organizations_customer_is_unknown(org, world, admin_user):
    body = lease_data(world["u2"], world["foreign"]["customers"])
    response = client_for(admin_user).post("/api/v1/leases", data=body, content_type=JSON)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("not_found", "customer_id")
