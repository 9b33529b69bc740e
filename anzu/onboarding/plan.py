"""The import plan: what is created or updated, and the shared state of planning.

The planner (planner.py, planner_leases.py) fills a :class:`Plan`; writer.py applies it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_noop

from anzu.common import clock
from anzu.common.crypto import blind_index
from anzu.core import access
from anzu.core.models import Organization, User
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Customer, Lease
from anzu.onboarding.reader import Sheet
from anzu.onboarding.report import Issues, msg
from anzu.onboarding.rows import ParsedRow
from anzu.portfolio.choices import UnitStatus
from anzu.portfolio.models import Building, Project, Unit

PROJECT_FIELDS = ("code", "name", "city")
BUILDING_FIELDS = ("project", "code", "name", "address", "latitude", "longitude")
UNIT_FIELDS = ("project", "building", "code", "floor", "area_m2", "layout", "list_rent", "status")
UNIT_OWN = ("floor", "area_m2", "layout", "list_rent")
CUSTOMER_OWN = ("kind", "name", "phone", "email", "notes", "tags")
FLAG_STATUSES = (UnitStatus.MAINTENANCE, UnitStatus.OFFLINE)
# Lease columns compared on re-import, and the column that names each in the error report.
LEASE_COLUMN = {"unit": "unit_code", "customer": "customer_id_number", "status": "status"}
CHUNK = 2000
UNIT_KEY_COLUMNS = ("project_code", "building_code", "unit_code")
PROJECT_ATTRS = {"name": "project_name", "city": "city"}
BUILDING_ATTRS = {
    "name": "building_name",
    "address": "address",
    "latitude": "latitude",
    "longitude": "longitude",
}

UnitKey = tuple[str, str, str]


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Change:
    """One object the import creates or updates; ``before`` is None for a create."""

    obj: Any
    before: dict[str, Any] | None
    fields: tuple[str, ...]
    row: int


@dataclass
class Plan:
    organization: Organization
    by: User | None
    today: dt.date
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    projects: list[Change] = field(default_factory=list)
    buildings: list[Change] = field(default_factory=list)
    units: list[Change] = field(default_factory=list)
    customers: list[Change] = field(default_factory=list)
    leases: list[Change] = field(default_factory=list)
    unit_status_only: list[Change] = field(default_factory=list)

    def count(self, kind: str, what: str) -> None:
        bucket = self.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
        bucket[what] += 1

    def is_empty(self) -> bool:
        return not (
            self.projects
            or self.buildings
            or self.units
            or self.customers
            or self.leases
            or self.unit_status_only
        )


@dataclass
class Entry:
    """A project or building named by the file: the stored object (or a new one) and which
    row first gave each attribute."""

    obj: Any
    new: bool
    row: int
    given: dict[str, tuple[Any, int]] = field(default_factory=dict)


@dataclass
class UnitEntry:
    obj: Unit
    new: bool
    row: int
    flag: str | None  # "" = derived from leases, maintenance/offline, None = column absent
    before: dict[str, Any] | None
    changed: bool


@dataclass
class LeaseEntry:
    obj: Lease
    new: bool
    row: int
    unit_key: UnitKey
    before: dict[str, Any] | None
    changed: bool
    original: Lease | None = None  # the stored lease as it was, for updates


class PlannerBase:
    """Inputs, lookups and helpers shared by the planning of each sheet."""

    def __init__(
        self,
        *,
        organization: Organization,
        by: User | None,
        sheets: dict[str, Sheet],
        rows: dict[str, list[ParsedRow]],
        issues: Issues,
    ) -> None:
        self.org = organization
        self.by = by
        self.sheets = sheets
        self.rows = rows
        self.issues = issues
        self.scope = access.scope_of(by) if by is not None else None
        self.plan = Plan(organization, by, clock.today(organization.time_zone))
        self.projects: dict[str, Entry] = {}
        self.buildings: dict[tuple[str, str], Entry] = {}
        self.units: dict[UnitKey, UnitEntry] = {}
        self.failed_units: dict[UnitKey, int] = {}
        self.customers: dict[tuple[str, str], tuple[Customer, int]] = {}
        self.failed_customers: dict[tuple[str, str], int] = {}
        self.leases: list[LeaseEntry] = []
        self.db_projects: dict[str, Project] = {}
        self.db_units: dict[UnitKey, Unit] = {}
        self.stored_leases: dict[int, list[Lease]] = {}
        self._note_failed_rows()

    def _note_failed_rows(self) -> None:
        """Remember the keys of rows that failed cell validation, so that a lease naming such a
        unit or customer is reported as depending on a bad row rather than as unknown."""
        units = self.sheets.get("units")
        seen: dict[tuple[str, ...], int] = {}
        for row in units.rows if units is not None else []:
            key = tuple(str(row.values.get(k) or "") for k in UNIT_KEY_COLUMNS)
            first = seen.setdefault(key, row.number)
            if self.issues.row_failed(units, row.number):  # type: ignore[arg-type]
                self.failed_units.setdefault(key, row.number)  # type: ignore[arg-type]
                if first < row.number and all(key):
                    self._duplicate_unit(row.number, key, first)  # type: ignore[arg-type]
        customers = self.sheets.get("customers")
        for row in customers.rows if customers is not None else []:
            if self.issues.row_failed(customers, row.number):  # type: ignore[arg-type]
                id_number = str(row.values.get("id_number") or "")
                if id_number:
                    key = (
                        str(row.values.get("id_type") or ""),
                        blind_index(id_number, purpose="id_number"),
                    )
                    self.failed_customers.setdefault(key, row.number)

    # Helpers ------------------------------------------------------------------------------

    def _error(self, kind: str, row: int, key: str | None, code: str, message: str) -> None:
        self.issues.add(self.sheets[kind], row, key, code, message)

    def _load_projects(self, codes: set[str]) -> None:
        missing = codes - set(self.db_projects)
        for batch in chunks(sorted(missing)):
            for project in Project.objects.filter(organization=self.org, code__in=batch):
                self.db_projects[project.code] = project

    def _load_units(self, project_ids: set[int]) -> dict[tuple[str, str], Building]:
        buildings: dict[tuple[str, str], Building] = {}
        by_id: dict[int, Building] = {}
        for batch in chunks(sorted(project_ids)):
            for building in Building.objects.filter(project_id__in=batch).select_related("project"):
                buildings[(building.project.code, building.code)] = building
                by_id[building.pk] = building
            for unit in Unit.objects.filter(project_id__in=batch):
                owner = by_id[unit.building_id]
                unit.building = owner
                unit.project = owner.project
                self.db_units[(owner.project.code, owner.code, unit.code)] = unit
        return buildings

    def _in_scope(self, project_id: int | None, building_id: int | None = None) -> bool:
        if self.scope is None or self.scope.everything:
            return True
        return project_id in self.scope.project_ids or building_id in self.scope.building_ids

    def _duplicate_unit(self, number: int, key: UnitKey, first: int) -> None:
        self._error(
            "units",
            number,
            "unit_code",
            "duplicate",
            msg(
                gettext_noop(
                    "Duplicate unit code %(code)s in building %(building)s: already on row %(row)s."
                ),
                {"code": key[2], "building": key[1], "row": first},
            ),
        )

    def _load_customers(self, indexes: set[str]) -> dict[tuple[str, str], Customer]:
        found: dict[tuple[str, str], Customer] = {}
        for batch in chunks(sorted(indexes)):
            for customer in Customer.objects.filter(
                organization=self.org, id_number_index__in=batch
            ):
                found[(customer.id_type, customer.id_number_index)] = customer
        return found


def phone_index(phone: str) -> str:
    return blind_index(phone, purpose="phone") if phone else ""


def derived_status(leases: list[Lease], today: dt.date) -> str:
    """Occupied / reserved / vacant, the same rule as ``leasing.services.unit_refresh_status``."""
    live = [lease for lease in leases if lease.status != LeaseStatus.VOID]
    if any(
        lease.status == LeaseStatus.ACTIVE and lease.start_date <= today <= lease.occupied_until
        for lease in live
    ):
        return UnitStatus.OCCUPIED
    occupying = (LeaseStatus.DRAFT, LeaseStatus.PENDING_APPROVAL, LeaseStatus.ACTIVE)
    if any(lease.status in occupying and lease.occupied_until >= today for lease in live):
        return UnitStatus.RESERVED
    return UnitStatus.VACANT
