"""Row-by-row validation without the database, with the validators the services use.

Each column is validated on its own so that every bad cell of a row is reported, each under its
column. The validators are the ``*_SPEC`` entries of the portfolio and leasing services (called
with the column key as the field name), so the rules are identical to the UI and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from anzu.common import validate as v
from anzu.common.crypto import blind_index
from anzu.common.errors import DomainError, ValidationFailed
from anzu.leasing.choices import IdType, LeaseStatus
from anzu.leasing.services import CUSTOMER_SPEC, LEASE_CREATE_SPEC, LEASE_TERMS_SPEC, check_customer
from anzu.onboarding.reader import Sheet
from anzu.onboarding.report import Issues
from anzu.portfolio.choices import UnitStatus
from anzu.portfolio.services import BUILDING_SPEC, PROJECT_SPEC, UNIT_SPEC

Validator = Any


def _optional(validator: Validator) -> Validator:
    """Blank means "not given" (keep the stored value) for attributes repeated on many rows."""
    return lambda x, f: None if x in (None, "") else validator(x, f)


def _unit_flag(value: Any, field: str) -> str:
    if value in (None, ""):
        return ""
    allowed = [(UnitStatus.MAINTENANCE, ""), (UnitStatus.OFFLINE, "")]
    return v.choice(value, field=field, choices=allowed)


def _lease_status(value: Any, field: str) -> str:
    allowed = [(LeaseStatus.DRAFT, ""), (LeaseStatus.ACTIVE, "")]
    return v.choice(value or LeaseStatus.DRAFT, field=field, choices=allowed)


def _periods_text(value: Any, field: str) -> Any:
    """``2026-01-01~2026-01-15; 2026-07-01~2026-07-05`` → [{start, end}, …] for the service."""
    if value in (None, ""):
        return LEASE_TERMS_SPEC["rent_free_periods"]([], field)
    if not isinstance(value, str):
        raise ValidationFailed(
            "invalid", _("Write periods as 2026-01-01~2026-01-15; …"), field=field
        )
    periods = []
    for part in value.replace("；", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        for sep in ("~", "～", "至", "/"):
            if sep in part:
                start, end = part.split(sep, 1)
                periods.append({"start": start.strip(), "end": end.strip()})
                break
        else:
            raise ValidationFailed(
                "invalid", _("Write periods as 2026-01-01~2026-01-15; …"), field=field
            )
    return LEASE_TERMS_SPEC["rent_free_periods"](periods, field)


UNIT_ROW: dict[str, Validator] = {
    "project_code": PROJECT_SPEC["code"],
    "project_name": _optional(PROJECT_SPEC["name"]),
    "city": _optional(PROJECT_SPEC["city"]),
    "building_code": BUILDING_SPEC["code"],
    "building_name": _optional(BUILDING_SPEC["name"]),
    "address": _optional(BUILDING_SPEC["address"]),
    "latitude": BUILDING_SPEC["latitude"],
    "longitude": BUILDING_SPEC["longitude"],
    "unit_code": UNIT_SPEC["code"],
    "floor": UNIT_SPEC["floor"],
    "area_m2": UNIT_SPEC["area_m2"],
    "layout": UNIT_SPEC["layout"],
    "list_rent": UNIT_SPEC["list_rent"],
    "status": _unit_flag,
}
CUSTOMER_ROW: dict[str, Validator] = {
    **{name: CUSTOMER_SPEC[name] for name in CUSTOMER_SPEC if name != "project_id"},
    "project_code": _optional(PROJECT_SPEC["code"]),
}
LEASE_ROW: dict[str, Validator] = {
    "lease_code": LEASE_CREATE_SPEC["code"],
    "project_code": PROJECT_SPEC["code"],
    "building_code": BUILDING_SPEC["code"],
    "unit_code": UNIT_SPEC["code"],
    "customer_id_type": lambda x, f: v.choice(x, field=f, choices=IdType.choices),
    "customer_id_number": CUSTOMER_SPEC["id_number"],
    "status": _lease_status,
    **LEASE_TERMS_SPEC,
    "rent_free_periods": _periods_text,
}
ROW_SPECS = {"units": UNIT_ROW, "customers": CUSTOMER_ROW, "leases": LEASE_ROW}


@dataclass
class ParsedRow:
    number: int
    data: dict[str, Any]  # column key -> cleaned value, only for columns present in the sheet


def parse_rows(sheet: Sheet, issues: Issues) -> list[ParsedRow]:
    """Validate every cell of every row; return the rows without errors."""
    spec = ROW_SPECS[sheet.kind]
    good: list[ParsedRow] = []
    missing = [c.key for c in sheet.spec.columns if c.required and not sheet.has(c.key)]
    if missing:
        return good  # reported as header errors; the rows cannot be read
    for row in sheet.rows:
        data: dict[str, Any] = {}
        failed = False
        for key, validator in spec.items():
            if not sheet.has(key):
                continue
            try:
                data[key] = validator(row.values.get(key), key)
            except DomainError as error:
                issues.add_error(sheet, row.number, error, key=key)
                failed = True
        if failed:
            continue
        if sheet.kind == "customers":
            try:
                check_customer(data, None)
            except DomainError as error:
                issues.add_error(sheet, row.number, error)
                continue
            data["id_number_index"] = blind_index(data["id_number"], purpose="id_number")
        elif sheet.kind == "leases":
            data["customer_index"] = blind_index(data["customer_id_number"], purpose="id_number")
        good.append(ParsedRow(row.number, data))
    return good
