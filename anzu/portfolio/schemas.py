"""Request and response schemas of the portfolio API (projects, buildings, units, equipment).

Input schemas type the wire format only; the services validate the business rules and name the
offending field when they refuse a value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from anzu.common.api import InputSchema, OutputSchema
from anzu.portfolio.choices import EquipmentType, UnitStatus

# Projects ---------------------------------------------------------------------------------


class ProjectIn(InputSchema):
    code: str
    name: str
    city: str = ""
    district: str = ""


class ProjectPatch(InputSchema):
    code: str | None = None
    name: str | None = None
    city: str | None = None
    district: str | None = None


class ProjectOut(OutputSchema):
    id: int
    code: str
    name: str
    city: str
    district: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ProjectFilters(Schema):
    q: str | None = None


# Buildings --------------------------------------------------------------------------------


class BuildingIn(InputSchema):
    project_id: int
    code: str
    name: str
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    floors: int | None = None


class BuildingPatch(InputSchema):
    code: str | None = None
    name: str | None = None
    address: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    floors: int | None = None


class BuildingOut(OutputSchema):
    id: int
    project_id: int
    code: str
    name: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    floors: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class BuildingFilters(Schema):
    project_id: int | None = None
    q: str | None = None


# Units ------------------------------------------------------------------------------------


class UnitIn(InputSchema):
    building_id: int
    code: str
    floor: int
    area_m2: Decimal
    layout: str = ""
    list_rent: Decimal
    status: UnitStatus | None = None


class UnitPatch(InputSchema):
    code: str | None = None
    floor: int | None = None
    area_m2: Decimal | None = None
    layout: str | None = None
    list_rent: Decimal | None = None
    status: UnitStatus | None = None


class UnitOut(OutputSchema):
    id: int
    project_id: int
    building_id: int
    code: str
    floor: int
    area_m2: Decimal
    layout: str
    list_rent: Decimal | None
    amounts_hidden: bool
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


class UnitFilters(Schema):
    project_id: int | None = None
    building_id: int | None = None
    status: UnitStatus | None = None
    floor: int | None = None
    q: str | None = None


# Equipment --------------------------------------------------------------------------------


class EquipmentIn(InputSchema):
    building_id: int | None = None
    unit_id: int | None = None
    type: EquipmentType
    brand: str = ""
    model: str = ""
    batch: str = ""
    serial_number: str = ""
    installed_on: dt.date | None = None


class EquipmentPatch(InputSchema):
    type: EquipmentType | None = None
    brand: str | None = None
    model: str | None = None
    batch: str | None = None
    serial_number: str | None = None
    installed_on: dt.date | None = None


class EquipmentOut(OutputSchema):
    id: int
    building_id: int
    unit_id: int | None
    type: str
    brand: str
    model: str
    batch: str
    serial_number: str
    installed_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class EquipmentFilters(Schema):
    building_id: int | None = None
    unit_id: int | None = None
    type: EquipmentType | None = None
    brand: str | None = None
    model: str | None = None
    batch: str | None = None
