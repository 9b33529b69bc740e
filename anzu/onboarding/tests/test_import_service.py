from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from anzu.common.crypto import blind_index
from anzu.common.errors import PermissionDenied
from anzu.common.testing import CustomerFactory, UnitFactory, make_user, resident_id
from anzu.core.models import AuditEvent, Counter
from anzu.leasing.models import Customer, Lease
from anzu.onboarding.services import import_file
from anzu.onboarding.tests.helpers import (
    csv_file,
    customer_row,
    db_counts,
    error_keys,
    header,
    lease_row,
    unit_row,
    workbook,
)
from anzu.portfolio.models import Building, Project, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel("2026-06-15 10:00 +0800", tick=False):
        yield


H = header


def _run(org, by, data, name="import.xlsx", **kw):
    return import_file(organization=org, by=by, name=name, data=data, **kw)


def full_workbook(**changes):
    units = [
        unit_row("101"),
        unit_row("102"),
        unit_row("201", building_code="B2", building_name="2号楼", address="", floor=2),
        unit_row("301", project_code="P2", project_name="浦东公寓", building_code="B1"),
    ]
    customers = [customer_row(1), customer_row(2), customer_row(3, project_code=None)]
    leases = [
        lease_row("101", 1),
        lease_row("102", 2, status="draft", lease_code=None),
        lease_row(
            "301",
            3,
            project_code="P2",
            lease_code="HT-P2-301",
            start_date=dt.date(2026, 7, 1),
            end_date=dt.date(2027, 6, 30),
        ),
    ]
    data = {"units": units, "customers": customers, "leases": leases}
    data.update(changes)
    return workbook(**data)


# Happy paths --------------------------------------------------------------------------------


def test_workbook_imports_everything_with_exact_counts_and_audit(org, manager):
    before = db_counts()
    result = _run(org, manager, full_workbook())
    assert result.ok, result.errors
    assert result.written
    assert result.counts == {
        "projects": {"created": 2, "updated": 0, "unchanged": 0},
        "buildings": {"created": 3, "updated": 0, "unchanged": 0},
        "units": {"created": 4, "updated": 0, "unchanged": 0},
        "customers": {"created": 3, "updated": 0, "unchanged": 0},
        "leases": {"created": 3, "updated": 0, "unchanged": 0},
        "rows": {
            "units": {"total": 4, "failed": 0},
            "customers": {"total": 3, "failed": 0},
            "leases": {"total": 3, "failed": 0},
        },
    }
    after = db_counts()
    assert {k: after[k] - before[k] for k in after} == {
        "projects": 2,
        "buildings": 3,
        "units": 4,
        "customers": 3,
        "leases": 3,
        "audit": 15,
    }
    actions = list(
        AuditEvent.objects.order_by("id").values_list("action", flat=True)[before["audit"] :]
    )
    assert actions.count("import.project.create") == 2
    assert actions.count("import.building.create") == 3
    assert actions.count("import.unit.create") == 4
    assert actions.count("import.customer.create") == 3
    assert actions.count("import.lease.create") == 3
    assert set(
        AuditEvent.objects.filter(action__startswith="import.").values_list("actor_id", flat=True)
    ) == {manager.pk}

    p1 = Project.objects.get(organization=org, code="P1")
    assert p1.name == "静安公寓" and p1.city == "上海"
    b1 = Building.objects.get(project=p1, code="B1")
    assert b1.latitude == Decimal("31.230400") and b1.address == "上海市静安区测试路1号"
    units = {u.code: u for u in Unit.objects.filter(organization=org)}
    assert units["101"].status == "occupied"  # active lease covering today
    assert units["102"].status == "reserved"  # draft lease
    assert units["301"].status == "reserved"  # active lease starting next month
    assert units["201"].status == "vacant"
    assert units["101"].area_m2 == Decimal("35.50") and units["101"].list_rent == Decimal("3200.00")

    customer = Customer.objects.get(
        organization=org, id_number_index=blind_index(resident_id(1), purpose="id_number")
    )
    assert customer.phone == "13900000001"
    assert customer.project == p1
    lease = Lease.objects.get(organization=org, code="HT-101")
    assert lease.status == "active" and lease.activated_at is not None
    assert lease.activated_by == lease.created_by and lease.activated_by is not None
    assert lease.customer == customer and lease.unit == units["101"]
    assert lease.deposit == Decimal("3200.00") and lease.occupied_until == dt.date(2026, 12, 31)
    assert lease.created_by == manager
    generated = Lease.objects.get(organization=org, unit=units["102"])
    assert generated.code == "L2026-000001" and generated.status == "draft"
    assert Counter.objects.get(organization=org, name="lease-2026").value == 1


def test_csv_files_one_per_kind_detected_from_headers(org, manager):
    units = [unit_row("101"), unit_row("102")]
    customers = [customer_row(1), customer_row(2, kind="个人", id_type="身份证")]
    leases = [lease_row("101", 1, start_date="2026/1/1"), lease_row("102", 2)]
    r1 = _run(org, manager, csv_file("units", units), name="units.csv")
    r2 = _run(org, manager, csv_file("customers", customers, encoding="gb18030"), name="c.csv")
    r3 = _run(
        org, manager, csv_file("leases", leases, encoding="utf-8", english=True), name="l.csv"
    )
    assert r1.ok and r2.ok and r3.ok, (r1.errors, r2.errors, r3.errors)
    assert r1.counts["units"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert r1.counts["projects"]["created"] == 1
    assert r2.counts["customers"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert r3.counts["leases"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert Unit.objects.filter(organization=org, status="occupied").count() == 2
    assert Customer.objects.filter(organization=org, name="租客2").get().kind == "person"
    assert Lease.objects.get(code="HT-101").start_date == dt.date(2026, 1, 1)


def test_csv_kind_can_be_given(org, manager):
    data = csv_file("units", [unit_row("101")])
    result = _run(org, manager, data, name="u.csv", kind="units")
    assert result.ok and result.counts["units"]["created"] == 1


# Errors: reported by sheet, row and column; nothing written ----------------------------------


def test_every_error_is_reported_by_row_and_column_and_nothing_is_written(org, manager):
    existing = UnitFactory(
        organization=org,
        building__project__organization=org,
        building__project__code="P9",
        building__code="B9",
        code="901",
    )
    assert existing.pk
    units = [
        unit_row("101"),  # row 2
        unit_row("101"),  # row 3: duplicate unit code
        unit_row("102", list_rent=-5),  # row 4: negative rent
        unit_row("103", area_m2="big", floor="one"),  # row 5: two bad cells
        unit_row("104", project_code="P3", project_name=None),  # row 6: new project needs name
    ]
    customers = [
        customer_row(1),  # row 2
        customer_row(2, id_number="110105194912310021"),  # row 3: wrong check digit
        customer_row(3, phone="12345"),  # row 4
    ]
    leases = [
        lease_row("101", 1),  # row 2 fine
        lease_row("999", 1, lease_code="X1"),  # row 3: unknown unit
        lease_row(
            "101",
            1,
            lease_code="X2",
            start_date=dt.date(2027, 3, 1),
            end_date=dt.date(2027, 1, 1),
        ),  # row 4: end before start
        lease_row("101", 1, lease_code="X3", monthly_rent=-3200, start_date=dt.date(2028, 1, 1)),
        lease_row("101", 1, lease_code="X4", monthly_rent="abc", start_date=dt.date(2029, 1, 1)),
        lease_row("101", 1, lease_code="X5", start_date=dt.date(2026, 6, 1)),  # row 7: overlap
        lease_row("102", 1, lease_code="X6"),  # row 8: unit row failed
        lease_row(
            "101",
            2,
            lease_code="X7",
            start_date=dt.date(2030, 1, 1),
            end_date=dt.date(2030, 12, 31),
            customer_id_number="110105194912310021",
        ),  # row 9: the customer's row failed
    ]
    before = db_counts()
    result = _run(org, manager, workbook(units=units, customers=customers, leases=leases))
    assert not result.written
    assert error_keys(result.errors) == {
        ("units", 3, H("units", "unit_code"), "duplicate"),
        ("units", 4, H("units", "list_rent"), "negative"),
        ("units", 5, H("units", "area_m2"), "invalid"),
        ("units", 5, H("units", "floor"), "invalid"),
        ("units", 6, H("units", "project_name"), "required"),
        ("customers", 3, H("customers", "id_number"), "invalid"),
        ("customers", 4, H("customers", "phone"), "invalid"),
        ("leases", 3, H("leases", "unit_code"), "not_found"),
        ("leases", 4, H("leases", "end_date"), "end_before_start"),
        ("leases", 5, H("leases", "monthly_rent"), "negative"),
        ("leases", 6, H("leases", "monthly_rent"), "invalid"),
        ("leases", 7, H("leases", "start_date"), "lease_overlap"),
        ("leases", 8, H("leases", "unit_code"), "unit_row_failed"),
        ("leases", 9, H("leases", "customer_id_number"), "customer_row_failed"),
    }
    assert all(e["sheet"] for e in result.errors)
    overlap = next(e for e in result.errors if e["code"] == "lease_overlap")
    assert "row 2" in overlap["message"]
    assert db_counts() == before
    assert result.counts == {
        "rows": {
            "units": {"total": 5, "failed": 4},
            "customers": {"total": 3, "failed": 2},
            "leases": {"total": 8, "failed": 7},
        }
    }


def test_header_problems_are_reported_on_row_one(org, manager):
    units = [unit_row("101")]
    keys = list(units[0])
    headers = [H("units", k) for k in keys if k != "floor"] + ["备注列"]
    rows = [{k: v for k, v in units[0].items() if k != "floor"} | {"x": "?"}]
    before = db_counts()
    result = _run(org, manager, workbook(units=rows, headers={"units": headers}))
    assert error_keys(result.errors) == {
        ("units", 1, "备注列", "unknown_column"),
        ("units", 1, H("units", "floor"), "missing_column"),
    }
    assert db_counts() == before


def test_overlap_with_a_stored_lease_names_it(org, manager, portfolio):
    first = _run(org, manager, full_workbook())
    assert first.ok
    clash = [
        lease_row(
            "101",
            1,
            lease_code="NEW-1",
            start_date=dt.date(2026, 12, 1),
            end_date=dt.date(2027, 11, 30),
        )
    ]
    before = db_counts()
    result = _run(org, manager, workbook(leases=clash))
    assert error_keys(result.errors) == {("leases", 2, H("leases", "start_date"), "lease_overlap")}
    assert "HT-101" in result.errors[0]["message"]
    assert db_counts() == before


def test_other_organizations_units_and_customers_are_unknown(org, other_org, manager):
    UnitFactory(
        organization=other_org,
        building__project__organization=other_org,
        building__project__code="P1",
        building__code="B1",
        code="101",
    )
    CustomerFactory(organization=other_org, id_number=resident_id(1))
    result = _run(org, manager, workbook(leases=[lease_row("101", 1, end_date="2025-12-31")]))
    assert error_keys(result.errors) == {
        ("leases", 2, H("leases", "unit_code"), "not_found"),
        ("leases", 2, H("leases", "customer_id_number"), "not_found"),
        ("leases", 2, H("leases", "end_date"), "end_before_start"),
    }


def test_roles_without_import_run_are_refused(org):
    finance = make_user(org, "finance")
    with pytest.raises(PermissionDenied):
        _run(org, finance, full_workbook())


# Partial mode ---------------------------------------------------------------------------------


def test_partial_writes_only_the_valid_rows(org, manager):
    units = [unit_row("101"), unit_row("102", list_rent="abc"), unit_row("103")]
    customers = [customer_row(1), customer_row(2, id_number="123")]
    leases = [
        lease_row("101", 1),
        lease_row("102", 1),
        lease_row("103", 2, customer_id_number="123"),
    ]
    before = db_counts()
    result = _run(
        org, manager, workbook(units=units, customers=customers, leases=leases), partial=True
    )
    assert result.written
    assert error_keys(result.errors) == {
        ("units", 3, H("units", "list_rent"), "invalid"),
        ("customers", 3, H("customers", "id_number"), "invalid"),
        ("leases", 3, H("leases", "unit_code"), "unit_row_failed"),
        ("leases", 4, H("leases", "customer_id_number"), "customer_row_failed"),
    }
    assert sorted(Unit.objects.filter(organization=org).values_list("code", flat=True)) == [
        "101",
        "103",
    ]
    after = db_counts()
    assert {k: after[k] - before[k] for k in after} == {
        "projects": 1,
        "buildings": 1,
        "units": 2,
        "customers": 1,
        "leases": 1,
        "audit": 6,
    }
    assert result.counts["leases"] == {"created": 1, "updated": 0, "unchanged": 0}


def test_dry_run_validates_and_counts_but_writes_nothing(org, manager):
    before = db_counts()
    result = _run(org, manager, full_workbook(), dry_run=True)
    assert result.ok and not result.written
    assert result.counts["units"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert db_counts() == before
    assert not Counter.objects.filter(organization=org).exists()


# Idempotency and updates ----------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(org, manager):
    data = full_workbook()
    assert _run(org, manager, data).ok
    before = db_counts()
    snapshot = list(Unit.objects.order_by("id").values())
    again = _run(org, manager, data)
    assert again.ok and not again.written
    for kind in ("projects", "buildings", "units", "customers", "leases"):
        assert again.counts[kind]["created"] == 0
        assert again.counts[kind]["updated"] == 0
    assert again.counts["units"]["unchanged"] == 4
    assert again.counts["leases"]["unchanged"] == 3
    assert again.counts["customers"]["unchanged"] == 3
    assert db_counts() == before  # no duplicates, no audit events
    assert list(Unit.objects.order_by("id").values()) == snapshot


def test_reimport_with_changed_values_updates_them(org, manager):
    assert _run(org, manager, full_workbook()).ok
    changed = full_workbook(
        units=[
            unit_row("101", list_rent=3500),
            unit_row("102"),
            unit_row("201", building_code="B2", building_name="2号楼", address="", floor=2),
            unit_row("301", project_code="P2", project_name="浦东公寓新", building_code="B1"),
        ],
        customers=[
            customer_row(1, phone="13700000000"),
            customer_row(2),
            customer_row(3, project_code=None),
        ],
        leases=[
            lease_row("101", 1),
            lease_row("102", 2, status="draft", lease_code=None, monthly_rent=2800),
            lease_row(
                "301",
                3,
                project_code="P2",
                lease_code="HT-P2-301",
                start_date=dt.date(2026, 7, 1),
                end_date=dt.date(2027, 6, 30),
            ),
        ],
    )
    before = db_counts()
    result = _run(org, manager, changed)
    assert result.ok, result.errors
    assert result.counts["units"] == {"created": 0, "updated": 1, "unchanged": 3}
    assert result.counts["projects"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert result.counts["customers"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert result.counts["leases"] == {"created": 0, "updated": 1, "unchanged": 2}
    after = db_counts()
    assert after["audit"] - before["audit"] == 4
    assert {k: after[k] for k in after if k != "audit"} == {
        k: before[k] for k in before if k != "audit"
    }
    assert Unit.objects.get(code="101").list_rent == Decimal("3500.00")
    assert Project.objects.get(code="P2").name == "浦东公寓新"
    customer = Customer.objects.get(
        id_number_index=blind_index(resident_id(1), purpose="id_number")
    )
    assert customer.phone == "13700000000"
    assert customer.phone_index == blind_index("13700000000", purpose="phone")
    lease = Lease.objects.get(unit__code="102")
    assert lease.monthly_rent == Decimal("2800.00") and lease.deposit == Decimal("2800.00")
    assert lease.version == 2 and lease.code == "L2026-000001"
    event = AuditEvent.objects.get(action="import.lease.update")
    assert event.changes["monthly_rent"] == ["3200.00", "2800.00"]
    event = AuditEvent.objects.get(action="import.customer.update")
    assert list(event.changes) == ["phone"]
    old, new = event.changes["phone"]
    assert old.startswith("pii:") and new.startswith("pii:") and old != new
    assert "13700000000" not in str(event.changes)
    assert event.object_repr == f"customer #{customer.pk}"


def test_changing_an_active_lease_is_a_row_error(org, manager):
    assert _run(org, manager, full_workbook()).ok
    before = db_counts()
    result = _run(org, manager, workbook(leases=[lease_row("101", 1, monthly_rent=9999)]))
    assert error_keys(result.errors) == {("leases", 2, H("leases", "monthly_rent"), "not_editable")}
    assert db_counts() == before


def test_unit_status_column_and_maintenance(org, manager):
    data = workbook(
        units=[unit_row("101", status="维修")],
        customers=[customer_row(1)],
        leases=[lease_row("101", 1, status="draft")],
    )
    assert _run(org, manager, data).ok
    assert Unit.objects.get(code="101").status == "maintenance"
    assert _run(org, manager, data).counts["units"]["unchanged"] == 1
    cleared = workbook(
        units=[unit_row("101")],
        customers=[customer_row(1)],
        leases=[lease_row("101", 1, status="draft")],
    )
    result = _run(org, manager, cleared)
    assert result.counts["units"]["updated"] == 1
    assert Unit.objects.get(code="101").status == "reserved"


def test_scoped_manager_cannot_create_projects_or_touch_other_projects(org, portfolio):
    scoped = make_user(org, "management", projects=[portfolio["p1"]])
    result = _run(
        org,
        scoped,
        workbook(
            units=[
                unit_row("109"),
                unit_row("209", project_code="P2", building_code="B2"),
                unit_row("1", project_code="NEW", project_name="新"),
            ]
        ),
    )
    assert error_keys(result.errors) == {
        ("units", 3, H("units", "building_code"), "out_of_scope"),
        ("units", 4, H("units", "project_code"), "out_of_scope"),
    }


def test_row_numbers_match_excel_with_blank_rows_and_typed_cells(org, manager):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "units"  # the English key alone is enough
    ws.append(
        ["project_code", "项目名称", "building_code", "unit_code", "floor", "area_m2", "list_rent"]
    )
    ws.append(["P1", "项目一", "B1", 101, 1, 30, 3000])  # unit code typed as a number
    ws.append([])
    ws.append([None, None, None, None, None, None, None])
    ws.append(["P1", "项目一", "B1", "102", 1, 30, "3,000.5"])
    ws.append(["P1", "项目一", "B1", "103", 1.5, 30, 3000])  # row 6: floor not whole
    import io

    buffer = io.BytesIO()
    wb.save(buffer)
    result = _run(org, manager, buffer.getvalue())
    assert error_keys(result.errors) == {("units", 6, "floor", "invalid")}
    result = _run(org, manager, buffer.getvalue(), partial=True)
    assert sorted(Unit.objects.values_list("code", flat=True)) == ["101", "102"]
    assert Unit.objects.get(code="102").list_rent == Decimal("3000.50")


def test_draft_lease_can_move_dates_and_overlaps_are_checked_against_itself_excluded(org, manager):
    data = workbook(
        units=[unit_row("101")],
        customers=[customer_row(1)],
        leases=[lease_row("101", 1, status="draft")],
    )
    assert _run(org, manager, data).ok
    moved = workbook(leases=[lease_row("101", 1, status="draft", end_date=dt.date(2027, 6, 30))])
    result = _run(org, manager, moved)
    assert result.ok, result.errors
    assert result.counts["leases"] == {"created": 0, "updated": 1, "unchanged": 0}
    lease = Lease.objects.get(code="HT-101")
    assert lease.end_date == dt.date(2027, 6, 30) and lease.occupied_until == lease.end_date
    activated = workbook(
        leases=[lease_row("101", 1, status="active", end_date=dt.date(2027, 6, 30))]
    )
    assert _run(org, manager, activated).counts["leases"]["updated"] == 1
    lease.refresh_from_db()
    assert lease.status == "active" and lease.activated_at is not None
    assert lease.activated_by == manager
    assert Unit.objects.get(code="101").status == "occupied"
    assert AuditEvent.objects.filter(action="import.unit.status").count() == 1
