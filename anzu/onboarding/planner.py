"""From validated rows to a plan of creates and updates, with the checks that need the database.

Resolves natural keys against the organization's data (a handful of set-based queries, never one
per row), checks cross-row rules (duplicates in the file, conflicting project/building values,
overlapping leases within the file and against stored leases) and decides per object whether it
is created, updated or unchanged. Nothing is written here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anzu.core import audit
from anzu.leasing.models import Customer, Lease
from anzu.leasing.services import CUSTOMER_AUDIT_FIELDS, LEASE_AUDIT_FIELDS
from anzu.onboarding.plan import (
    BUILDING_ATTRS,
    BUILDING_FIELDS,
    CUSTOMER_OWN,
    FLAG_STATUSES,
    PROJECT_ATTRS,
    PROJECT_FIELDS,
    UNIT_FIELDS,
    UNIT_OWN,
    Change,
    Entry,
    Plan,
    UnitEntry,
    UnitKey,
    derived_status,
    phone_index,
)
from anzu.onboarding.planner_leases import LeasePlanning
from anzu.onboarding.report import msg
from anzu.onboarding.rows import ParsedRow
from anzu.portfolio.choices import UnitStatus
from anzu.portfolio.models import Building, Project, Unit


class Planner(LeasePlanning):
    """Plans a whole file: units, then customers, then leases (see planner_leases.py)."""

    # Units sheet ----------------------------------------------------------------------------

    def plan_units(self) -> None:
        rows = self.rows.get("units", [])
        sheet = self.sheets.get("units")
        if sheet is None:
            return
        self._load_projects({r.data["project_code"] for r in rows})
        db_buildings = self._load_units({p.pk for p in self.db_projects.values()})
        for row in rows:
            if self.issues.row_failed(sheet, row.number):
                continue
            data = row.data
            pc, bc, uc = data["project_code"], data["building_code"], data["unit_code"]
            key = (pc, bc, uc)
            first = self.units[key].row if key in self.units else self.failed_units.get(key)
            if first is not None and first < row.number:
                self._duplicate_unit(row.number, key, first)
                continue
            project = self._project_entry(row, db=self.db_projects.get(pc))
            building = self._building_entry(row, project, db=db_buildings.get((pc, bc)))
            if project is None or building is None:
                self.failed_units.setdefault(key, row.number)
                continue
            self.projects.setdefault(pc, project)
            self.buildings.setdefault((pc, bc), building)
            self._apply_given(project, row, PROJECT_ATTRS)
            self._apply_given(building, row, BUILDING_ATTRS)
            self._unit_entry(row, key, project, building)

    def _project_entry(self, row: ParsedRow, *, db: Project | None) -> Entry | None:
        data = row.data
        pc = data["project_code"]
        entry = self.projects.get(pc)
        if entry is None:
            if db is None:
                if self.scope is not None and not self.scope.everything:
                    self._error(
                        "units",
                        row.number,
                        "project_code",
                        "out_of_scope",
                        _("Only staff who see the whole organization can create projects."),
                    )
                    return None
                if not data.get("project_name"):
                    self._error(
                        "units",
                        row.number,
                        "project_name",
                        "required",
                        msg(
                            gettext_noop("Project %(code)s is new: its name is required."),
                            {"code": pc},
                        ),
                    )
                    return None
                entry = Entry(Project(organization=self.org, code=pc), True, row.number)
            else:
                entry = Entry(db, False, row.number)
        ok = self._give(entry, row, PROJECT_ATTRS)
        return entry if ok else None

    def _building_entry(
        self, row: ParsedRow, project: Entry | None, *, db: Building | None
    ) -> Entry | None:
        if project is None:
            return None
        data = row.data
        key = (data["project_code"], data["building_code"])
        entry = self.buildings.get(key)
        if entry is None:
            if db is None:
                if not project.new and not self._in_scope(project.obj.pk):
                    self._error(
                        "units", row.number, "project_code", "out_of_scope", _("Unknown project.")
                    )
                    return None
                building = Building(organization=self.org, code=data["building_code"])
                building.project = project.obj
                building.name = data["building_code"]
                entry = Entry(building, True, row.number)
            else:
                if not self._in_scope(db.project_id, db.pk):
                    self._error(
                        "units", row.number, "building_code", "out_of_scope", _("Unknown building.")
                    )
                    return None
                entry = Entry(db, False, row.number)
        ok = self._give(entry, row, BUILDING_ATTRS)
        return entry if ok else None

    def _give(self, entry: Entry, row: ParsedRow, attrs: dict[str, str]) -> bool:
        """Record the attributes this row gives; a different value than an earlier row is an
        error on this row."""
        ok = True
        for attr, key in attrs.items():
            value = row.data.get(key)
            if value is None:
                continue
            earlier = entry.given.get(attr)
            if earlier is not None and earlier[0] != value:
                self._error(
                    "units",
                    row.number,
                    key,
                    "conflict",
                    msg(
                        gettext_noop("Differs from the value on row %(row)s (%(value)s)."),
                        {"row": earlier[1], "value": earlier[0]},
                    ),
                )
                ok = False
        return ok

    def _apply_given(self, entry: Entry, row: ParsedRow, attrs: dict[str, str]) -> None:
        for attr, key in attrs.items():
            value = row.data.get(key)
            if value is not None and attr not in entry.given:
                entry.given[attr] = (value, row.number)

    def _unit_entry(self, row: ParsedRow, key: UnitKey, project: Entry, building: Entry) -> None:
        data = row.data
        db = self.db_units.get(key)
        flag = data.get("status") if "status" in data else None
        if db is None:
            unit = Unit(organization=self.org, code=key[2], status=UnitStatus.VACANT)
            unit.project = project.obj
            unit.building = building.obj
            for name in UNIT_OWN:
                setattr(unit, name, data.get(name, "" if name == "layout" else None))
            self.units[key] = UnitEntry(unit, True, row.number, flag, None, False)
            return
        before = audit.snapshot(db, UNIT_FIELDS)
        for name in UNIT_OWN:
            if name in data:
                setattr(db, name, data[name])
        changed = audit.snapshot(db, UNIT_OWN) != {k: before[k] for k in UNIT_OWN}
        self.units[key] = UnitEntry(db, False, row.number, flag, before, changed)

    # Customers sheet ------------------------------------------------------------------------

    def plan_customers(self) -> None:
        rows = self.rows.get("customers", [])
        sheet = self.sheets.get("customers")
        if sheet is None:
            return
        self._load_projects({r.data["project_code"] for r in rows if r.data.get("project_code")})
        existing = self._load_customers({r.data["id_number_index"] for r in rows})
        for row in rows:
            data = row.data
            key = (data["id_type"], data["id_number_index"])
            first = (
                self.customers[key][1] if key in self.customers else self.failed_customers.get(key)
            )
            if first is not None and first < row.number:
                self._error(
                    "customers",
                    row.number,
                    "id_number",
                    "duplicate",
                    msg(
                        gettext_noop("The same ID number is already on row %(row)s."),
                        {"row": first},
                    ),
                )
                self.failed_customers.setdefault(key, row.number)
                continue
            project: Any = None
            if data.get("project_code"):
                project = self._project_for_reference(data["project_code"])
                if project is None:
                    self._error(
                        "customers",
                        row.number,
                        "project_code",
                        "not_found",
                        msg(
                            gettext_noop("Unknown project %(code)s."),
                            {"code": data["project_code"]},
                        ),
                    )
                    self.failed_customers[key] = row.number
                    continue
            customer = existing.get(key)
            if customer is None:
                customer = Customer(
                    organization=self.org,
                    id_type=data["id_type"],
                    id_number=data["id_number"],
                    id_number_index=data["id_number_index"],
                    project=project,
                )
                for name in CUSTOMER_OWN:
                    default: Any = [] if name == "tags" else ""
                    setattr(customer, name, data.get(name, default))
                customer.phone_index = phone_index(customer.phone)
                self.plan.customers.append(
                    Change(customer, None, CUSTOMER_AUDIT_FIELDS, row.number)
                )
                self.plan.count("customers", "created")
            else:
                before = audit.snapshot(customer, CUSTOMER_AUDIT_FIELDS)
                for name in CUSTOMER_OWN:
                    if name in data:
                        setattr(customer, name, data[name])
                customer.phone_index = phone_index(customer.phone)
                project_changed = False
                if "project_code" in data:
                    project_changed = (project.pk if project else None) != customer.project_id or (
                        project is not None and project.pk is None
                    )
                    customer.project = project
                if project_changed or audit.diff(
                    {k: before[k] for k in CUSTOMER_OWN}, audit.snapshot(customer, CUSTOMER_OWN)
                ):
                    self.plan.customers.append(
                        Change(customer, before, CUSTOMER_AUDIT_FIELDS, row.number)
                    )
                    self.plan.count("customers", "updated")
                else:
                    self.plan.count("customers", "unchanged")
            self.customers[key] = (customer, row.number)

    def _project_for_reference(self, code: str) -> Project | None:
        entry = self.projects.get(code)
        if entry is not None:
            return entry.obj  # type: ignore[no-any-return]
        project = self.db_projects.get(code)
        if project is not None and self._in_scope(project.pk):
            return project
        return None

    # Unit statuses and the final plan --------------------------------------------------------

    def finish(self) -> Plan:
        """Decide unit statuses from the leases and fill the plan with what changes."""
        plan = self.plan
        for pkey, entry in self.projects.items():
            self._finish_entry(plan.projects, "projects", entry, PROJECT_FIELDS, pkey)
        for bkey, entry in self.buildings.items():
            self._finish_entry(plan.buildings, "buildings", entry, BUILDING_FIELDS, bkey)
        leases_by_unit: dict[UnitKey, list[Lease]] = defaultdict(list)
        for lentry in self.leases:
            leases_by_unit[lentry.unit_key].append(lentry.obj)
        stored = self.stored_leases
        lease_units: dict[UnitKey, Unit] = {e.unit_key: e.obj.unit for e in self.leases}
        for ukey, uentry in self.units.items():
            unit = uentry.obj
            flag = uentry.flag
            if flag is None:
                flag = unit.status if unit.status in FLAG_STATUSES else ""
            status = flag or derived_status(
                leases_by_unit.get(ukey, []) + stored.get(unit.pk, []), plan.today
            )
            if uentry.new:
                unit.status = status
                plan.units.append(Change(unit, None, UNIT_FIELDS, uentry.row))
                plan.count("units", "created")
            elif uentry.changed or unit.status != status:
                unit.status = status
                plan.units.append(Change(unit, uentry.before, UNIT_FIELDS, uentry.row))
                plan.count("units", "updated")
            else:
                plan.count("units", "unchanged")
        for ukey, unit in lease_units.items():
            if ukey in self.units or unit.status in FLAG_STATUSES:
                continue
            status = derived_status(leases_by_unit[ukey] + stored.get(unit.pk, []), plan.today)
            if status != unit.status:
                before = {"status": unit.status}
                unit.status = status
                plan.unit_status_only.append(Change(unit, before, ("status",), 0))
        for lentry in self.leases:
            if lentry.new:
                plan.leases.append(Change(lentry.obj, None, LEASE_AUDIT_FIELDS, lentry.row))
                plan.count("leases", "created")
            elif lentry.changed:
                plan.leases.append(
                    Change(lentry.obj, lentry.before, LEASE_AUDIT_FIELDS, lentry.row)
                )
                plan.count("leases", "updated")
            else:
                plan.count("leases", "unchanged")
        for kind in ("units", "customers", "leases"):
            if kind in self.sheets:
                plan.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
        return plan

    def _finish_entry(
        self, changes: list[Change], kind: str, entry: Entry, fields: tuple[str, ...], key: Any
    ) -> None:
        obj = entry.obj
        before = None if entry.new else audit.snapshot(obj, fields)
        for attr, (value, _row) in entry.given.items():
            setattr(obj, attr, value)
        if entry.new:
            changes.append(Change(obj, None, fields, entry.row))
            self.plan.count(kind, "created")
        elif before != audit.snapshot(obj, fields):
            changes.append(Change(obj, before, fields, entry.row))
            self.plan.count(kind, "updated")
        else:
            self.plan.count(kind, "unchanged")
