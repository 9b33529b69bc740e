"""Build import files in tests (no binary fixtures are committed)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from openpyxl import Workbook

from anzu.common.testing import resident_id
from anzu.core.models import AuditEvent
from anzu.leasing.models import Customer, Lease
from anzu.onboarding.columns import SHEETS
from anzu.portfolio.models import Building, Project, Unit


def header(kind: str, key: str) -> str:
    return SHEETS[kind].column(key).header


def unit_row(code: str = "101", **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "project_code": "P1",
        "project_name": "静安公寓",
        "city": "上海",
        "building_code": "B1",
        "building_name": "1号楼",
        "address": "上海市静安区测试路1号",
        "latitude": 31.2304,
        "longitude": 121.4737,
        "unit_code": code,
        "floor": 1,
        "area_m2": 35.5,
        "layout": "1室1厅",
        "list_rent": 3200,
        "status": None,
    }
    row.update(over)
    return row


def customer_row(n: int = 1, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "person",
        "name": f"租客{n}",
        "id_type": "resident_id",
        "id_number": resident_id(n),
        "phone": f"139{n:08d}",
        "email": None,
        "project_code": "P1",
        "tags": None,
        "notes": None,
    }
    row.update(over)
    return row


def lease_row(unit: str = "101", customer: int = 1, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "lease_code": f"HT-{unit}",
        "project_code": "P1",
        "building_code": "B1",
        "unit_code": unit,
        "customer_id_type": "resident_id",
        "customer_id_number": resident_id(customer),
        "status": "active",
        "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31),
        "monthly_rent": 3200,
        "deposit_months": 1,
        "pay_months": 1,
    }
    row.update(over)
    return row


def workbook(
    *,
    units: list[dict[str, Any]] | None = None,
    customers: list[dict[str, Any]] | None = None,
    leases: list[dict[str, Any]] | None = None,
    headers: dict[str, list[str]] | None = None,
) -> bytes:
    """An .xlsx with one sheet per given kind; headers are the template's unless given."""
    wb = Workbook()
    default = wb.active
    assert default is not None
    wb.remove(default)
    for kind, rows in (("units", units), ("customers", customers), ("leases", leases)):
        if rows is None:
            continue
        ws = wb.create_sheet(SHEETS[kind].title)
        keys = _keys(rows)
        ws.append((headers or {}).get(kind) or [header(kind, k) for k in keys])
        for row in rows:
            ws.append([row.get(k) for k in keys])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_file(
    kind: str, rows: list[dict[str, Any]], *, encoding: str = "utf-8-sig", english: bool = False
) -> bytes:
    keys = _keys(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([k if english else header(kind, k) for k in keys])
    for row in rows:
        writer.writerow(["" if row.get(k) is None else _text(row.get(k)) for k in keys])
    return buffer.getvalue().encode(encoding)


def _text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _keys(rows: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key in row:
            if key not in keys:
                keys.append(key)
    return keys


def db_counts() -> dict[str, int]:
    return {
        "projects": Project.objects.count(),
        "buildings": Building.objects.count(),
        "units": Unit.objects.count(),
        "customers": Customer.objects.count(),
        "leases": Lease.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def error_keys(errors: list[dict[str, Any]]) -> set[tuple[str, int, str, str]]:
    return {(e["kind"], e["row"], e["column"], e["code"]) for e in errors}
