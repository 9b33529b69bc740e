"""Planning the leases sheet: natural keys, draft-only updates and the no-overlap rule."""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.core import audit
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Customer, Lease
from anzu.leasing.services import LEASE_AUDIT_FIELDS, LEASE_TERMS_SPEC
from anzu.leasing.services import check_lease_terms as check_terms
from anzu.onboarding.plan import (
    LEASE_COLUMN,
    LeaseEntry,
    PlannerBase,
    UnitKey,
    chunks,
)
from anzu.onboarding.report import msg
from anzu.onboarding.rows import ParsedRow
from anzu.portfolio.models import Unit


class LeasePlanning(PlannerBase):
    """The leases sheet; run after the units and customers sheets, whose rows it may name."""

    def plan_leases(self) -> None:
        rows = self.rows.get("leases", [])
        sheet = self.sheets.get("leases")
        if sheet is None:
            return
        self._load_projects({r.data["project_code"] for r in rows})
        self._load_units({p.pk for p in self.db_projects.values()})
        wanted = {(r.data["customer_id_type"], r.data["customer_index"]) for r in rows}
        db_customers = self._load_customers(
            {idx for _t, idx in wanted} - {k[1] for k in self.customers}
        )
        by_code, by_start = self._load_leases(rows)
        seen_codes: dict[str, int] = {}
        seen_starts: dict[tuple[UnitKey, dt.date], int] = {}
        for row in rows:
            data = row.data
            unit_key: UnitKey = (data["project_code"], data["building_code"], data["unit_code"])
            unit = self._unit_for_lease(row, unit_key)
            customer = self._customer_for_lease(row, db_customers)
            if unit is None or customer is None:
                self._new_terms(row)  # still report problems with the terms themselves
                continue
            code = data.get("lease_code") or ""
            start = data["start_date"]
            if code:
                if code in seen_codes:
                    self._error(
                        "leases",
                        row.number,
                        "lease_code",
                        "duplicate",
                        msg(
                            gettext_noop("Lease number %(code)s is already on row %(row)s."),
                            {"code": code, "row": seen_codes[code]},
                        ),
                    )
                    continue
                seen_codes[code] = row.number
                existing = by_code.get(code)
            else:
                if (unit_key, start) in seen_starts:
                    self._error(
                        "leases",
                        row.number,
                        "start_date",
                        "duplicate",
                        msg(
                            gettext_noop(
                                "A lease of this unit starting on this day is already on row %(row)s."
                            ),
                            {"row": seen_starts[(unit_key, start)]},
                        ),
                    )
                    continue
                seen_starts[(unit_key, start)] = row.number
                existing = by_start.get((unit.pk, start)) if unit.pk else None
            self._lease_entry(row, unit_key, unit, customer, existing)
        self._check_overlaps()

    def _unit_for_lease(self, row: ParsedRow, key: UnitKey) -> Unit | None:
        entry = self.units.get(key)
        if entry is not None:
            return entry.obj
        if key in self.failed_units:
            self._error(
                "leases",
                row.number,
                "unit_code",
                "unit_row_failed",
                msg(
                    gettext_noop("The unit's row %(row)s on the units sheet has errors."),
                    {"row": self.failed_units[key]},
                ),
            )
            return None
        unit = self.db_units.get(key)
        if unit is None or not self._in_scope(unit.project_id, unit.building_id):
            self._error(
                "leases",
                row.number,
                "unit_code",
                "not_found",
                msg(
                    gettext_noop(
                        "Unknown unit %(unit)s (project %(project)s, building %(building)s)."
                    ),
                    {"unit": key[2], "project": key[0], "building": key[1]},
                ),
            )
            return None
        return unit

    def _customer_for_lease(
        self, row: ParsedRow, db_customers: dict[tuple[str, str], Customer]
    ) -> Customer | None:
        key = (row.data["customer_id_type"], row.data["customer_index"])
        if key in self.customers:
            return self.customers[key][0]
        if key in self.failed_customers:
            self._error(
                "leases",
                row.number,
                "customer_id_number",
                "customer_row_failed",
                msg(
                    gettext_noop("The customer's row %(row)s on the customers sheet has errors."),
                    {"row": self.failed_customers[key]},
                ),
            )
            return None
        customer = db_customers.get(key)
        if customer is None:
            self._error(
                "leases",
                row.number,
                "customer_id_number",
                "not_found",
                _("Unknown customer: add them to the customers sheet or create them first."),
            )
        return customer

    def _load_leases(
        self, rows: list[ParsedRow]
    ) -> tuple[dict[str, Lease], dict[tuple[int, dt.date], Lease]]:
        by_code: dict[str, Lease] = {}
        codes = {r.data["lease_code"] for r in rows if r.data.get("lease_code")}
        for batch in chunks(sorted(codes)):
            for lease in Lease.objects.filter(organization=self.org, code__in=batch):
                by_code[lease.code] = lease
        by_start: dict[tuple[int, dt.date], Lease] = {}
        unit_ids = set()
        for r in rows:
            if r.data.get("lease_code"):
                continue
            unit = self.db_units.get(
                (r.data["project_code"], r.data["building_code"], r.data["unit_code"])
            )
            if unit is not None:
                unit_ids.add(unit.pk)
        for batch in chunks(sorted(unit_ids)):
            qs = Lease.objects.filter(organization=self.org, unit_id__in=batch).exclude(
                status=LeaseStatus.VOID
            )
            for lease in qs:
                by_start.setdefault((lease.unit_id, lease.start_date), lease)
        return by_code, by_start

    def _lease_entry(
        self,
        row: ParsedRow,
        unit_key: UnitKey,
        unit: Unit,
        customer: Customer,
        existing: Lease | None,
    ) -> None:
        data = row.data
        given = {name: data[name] for name in LEASE_TERMS_SPEC if name in data}
        if existing is None:
            terms = self._new_terms(row)
            if terms is None:
                return
        else:
            terms = {name: getattr(existing, name) for name in LEASE_TERMS_SPEC}
            terms.update(given)
            if "deposit" not in data:
                derived = (existing.monthly_rent * existing.deposit_months).quantize(
                    Decimal("0.01")
                )
                if existing.deposit == derived:
                    terms["deposit"] = None
            try:
                check_terms(terms)
            except DomainError as error:
                self.issues.add_error(self.sheets["leases"], row.number, error)
                return
        status = data.get("status", LeaseStatus.DRAFT if existing is None else existing.status)
        if existing is None:
            lease = Lease(
                organization=self.org,
                code=data.get("lease_code") or "",
                status=status,
                created_by=self.by,
                **terms,
            )
            lease.unit, lease.customer = unit, customer
            lease.occupied_until = lease.end_date
            if status == LeaseStatus.ACTIVE:
                lease.activated_at, lease.activated_by = clock.now(), self.by
            self.leases.append(LeaseEntry(lease, True, row.number, unit_key, None, True))
            return
        before = audit.snapshot(existing, LEASE_AUDIT_FIELDS)
        original = copy.copy(existing)
        changed = [name for name in LEASE_TERMS_SPEC if getattr(existing, name) != terms[name]]
        if existing.unit_id != unit.pk or unit.pk is None:
            changed.append("unit")
        if existing.customer_id != customer.pk or customer.pk is None:
            changed.append("customer")
        if existing.status != status:
            changed.append("status")
        # Keep the resolved objects cached on the lease (no query per row later on).
        existing.unit, existing.customer = unit, customer
        if changed and existing.status != LeaseStatus.DRAFT:
            self._error(
                "leases",
                row.number,
                LEASE_COLUMN.get(changed[0], changed[0]),
                "not_editable",
                msg(
                    gettext_noop(
                        "Lease %(code)s is %(status)s; only draft leases can be changed by import."
                    ),
                    {"code": existing.code, "status": existing.status},
                ),
            )
            return
        if changed:
            for name, value in terms.items():
                setattr(existing, name, value)
            existing.occupied_until = existing.end_date
            if existing.status != status:
                existing.status = status
                if status == LeaseStatus.ACTIVE:
                    existing.activated_at, existing.activated_by = clock.now(), self.by
            existing.version += 1
        self.leases.append(
            LeaseEntry(existing, False, row.number, unit_key, before, bool(changed), original)
        )

    def _new_terms(self, row: ParsedRow) -> dict[str, Any] | None:
        """The terms of a new lease from this row (defaults for absent columns), or None after
        reporting what is wrong with them."""
        terms = {
            name: row.data[name] if name in row.data else LEASE_TERMS_SPEC[name](None, name)
            for name in LEASE_TERMS_SPEC
        }
        try:
            check_terms(terms)
        except DomainError as error:
            self.issues.add_error(self.sheets["leases"], row.number, error)
            return None
        return terms

    def _check_overlaps(self) -> None:
        """No two non-void leases of one unit overlap: within the file and against the database."""
        matched = {e.obj.pk for e in self.leases if not e.new}
        unit_ids = {e.obj.unit.pk for e in self.leases if e.obj.unit.pk}
        stored: dict[int, list[Lease]] = defaultdict(list)
        for batch in chunks(sorted(unit_ids)):
            qs = Lease.objects.filter(unit_id__in=batch).exclude(status=LeaseStatus.VOID)
            for lease in qs.only("id", "unit_id", "code", "status", "start_date", "occupied_until"):
                if lease.pk not in matched:
                    stored[lease.unit_id].append(lease)
        self.stored_leases = stored
        accepted: dict[UnitKey, list[LeaseEntry]] = defaultdict(list)
        for entry in sorted(self.leases, key=lambda e: e.row):
            lease = entry.obj
            unit_pk = lease.unit.pk
            clash: str | None = None
            for other in stored.get(unit_pk, []) if unit_pk else []:
                if (
                    other.start_date <= lease.occupied_until
                    and other.occupied_until >= lease.start_date
                ):
                    clash = msg(
                        gettext_noop(
                            "The unit is already leased from %(start)s to %(end)s by lease %(code)s."
                        ),
                        {
                            "start": other.start_date,
                            "end": other.occupied_until,
                            "code": other.code,
                        },
                    )
                    break
            if clash is None:
                for earlier in accepted[entry.unit_key]:
                    other = earlier.obj
                    if (
                        other.start_date <= lease.occupied_until
                        and other.occupied_until >= lease.start_date
                    ):
                        clash = msg(
                            gettext_noop(
                                "Overlaps the lease on row %(row)s (%(start)s to %(end)s)."
                            ),
                            {
                                "row": earlier.row,
                                "start": other.start_date,
                                "end": other.occupied_until,
                            },
                        )
                        break
            if clash is not None:
                self._error("leases", entry.row, "start_date", "lease_overlap", clash)
                if entry.original is not None:  # it stays as stored
                    stored[entry.original.unit_id].append(entry.original)
                continue
            accepted[entry.unit_key].append(entry)
        self.leases = [e for entries in accepted.values() for e in entries]
        self.leases.sort(key=lambda e: e.row)
