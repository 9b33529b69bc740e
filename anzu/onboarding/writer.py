"""Writing a plan: set-based inserts and updates plus one audit event per object, in the caller's
transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F

from anzu.common import clock
from anzu.core import audit, context
from anzu.core.models import AuditEvent, Counter
from anzu.leasing.models import Customer, Lease
from anzu.onboarding.plan import Change, Plan, chunks
from anzu.portfolio.models import Building, Project, Unit

BATCH = 1000


def write_plan(plan: Plan) -> int:
    """Apply the plan; returns the number of audit events recorded. Must run in a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("write_plan must run inside a transaction")
    now = clock.now()
    _save(Project, plan.projects, ("name", "city"), now)
    _bind(plan.buildings, "project")
    _save(Building, plan.buildings, ("name", "address", "latitude", "longitude"), now)
    _bind(plan.units, "project", "building")
    _save(Unit, plan.units, ("floor", "area_m2", "layout", "list_rent", "status"), now)
    _bind(plan.customers, "project")
    _save(
        Customer,
        plan.customers,
        ("kind", "name", "phone", "phone_index", "email", "notes", "tags", "project"),
        now,
    )
    for change in plan.leases:
        lease = change.obj
        lease.project = lease.unit.project
        lease.building = lease.unit.building
    _bind(plan.leases, "unit", "customer", "project", "building")
    _number_leases(plan)
    _save(
        Lease,
        plan.leases,
        (
            "unit",
            "customer",
            "project",
            "building",
            "status",
            "start_date",
            "end_date",
            "occupied_until",
            "monthly_rent",
            "deposit_months",
            "pay_months",
            "deposit",
            "due_day_rule",
            "due_day_value",
            "rent_free_periods",
            "escalation_pct",
            "escalation_every_months",
            "late_fee_daily_rate",
            "late_fee_grace_days",
            "allows_access_freeze",
            "notes",
            "activated_at",
            "activated_by",
            "version",
        ),
        now,
    )
    by_status: dict[str, list[int]] = defaultdict(list)
    for change in plan.unit_status_only:
        by_status[change.obj.status].append(change.obj.pk)
    for status, ids in by_status.items():
        for batch in chunks(ids):
            Unit.objects.filter(pk__in=batch).update(status=status, updated_at=now)
    events = _events(plan, now)
    audit.bulk_record(events)
    return len(events)


def _bind(changes: list[Change], *relations: str) -> None:
    """Copy the ids of related objects created earlier in this import onto the foreign keys."""
    for change in changes:
        for name in relations:
            # Assigning the object again copies its new id and keeps it cached (setting the
            # ``_id`` attribute instead would drop the cache and cost a query per row later).
            setattr(change.obj, name, getattr(change.obj, name))


def _save(model: Any, changes: list[Change], fields: tuple[str, ...], now: Any) -> None:
    new = [c.obj for c in changes if c.before is None]
    old = [c.obj for c in changes if c.before is not None]
    for obj in new:
        obj.created_at = now
        obj.updated_at = now
    for obj in old:
        obj.updated_at = now
    if new:
        model.objects.bulk_create(new, batch_size=BATCH)
        missing = [obj for obj in new if obj.pk is None]
        if missing:  # databases that cannot return ids from a bulk insert
            raise RuntimeError(f"{model.__name__}: bulk insert did not return primary keys")
    if old:
        model.objects.bulk_update(old, [*fields, "updated_at"], batch_size=BATCH)


def _number_leases(plan: Plan) -> None:
    """Give new leases without a number the next numbers of the organization's yearly counter,
    reserving one block per year with one UPDATE."""
    unnumbered: dict[int, list[Lease]] = defaultdict(list)
    for change in plan.leases:
        if change.before is None and not change.obj.code:
            unnumbered[change.obj.start_date.year].append(change.obj)
    org_id = plan.organization.pk
    taken = {c.obj.code for c in plan.leases if c.obj.code}
    for year, leases in sorted(unnumbered.items()):
        name = f"lease-{year}"
        pending = list(leases)
        while pending:
            Counter.objects.get_or_create(organization_id=org_id, name=name)
            Counter.objects.filter(organization_id=org_id, name=name).update(
                value=F("value") + len(pending)
            )
            last = Counter.objects.filter(organization_id=org_id, name=name).values_list(
                "value", flat=True
            )[0]
            codes = [f"L{year}-{n:06d}" for n in range(last - len(pending) + 1, last + 1)]
            used = set(
                Lease.objects.filter(organization_id=org_id, code__in=codes).values_list(
                    "code", flat=True
                )
            ) | (taken & set(codes))
            still: list[Lease] = []
            free = iter(code for code in codes if code not in used)
            for lease in pending:
                code = next(free, None)
                if code is None:
                    still.append(lease)
                else:
                    lease.code = code
                    taken.add(code)
            pending = still


def _events(plan: Plan, now: Any) -> list[AuditEvent]:
    ctx = context.current()
    actor = plan.by
    events: list[AuditEvent] = []

    # Personal data enters the log only as keyed hashes under each person's salt.
    salts = (
        audit.subject_salts(Customer, [c.obj.pk for c in plan.customers]) if plan.customers else {}
    )

    def add(change: Change, action: str, object_type: str) -> None:
        after = audit.snapshot(change.obj, change.fields)
        changes = audit.diff(change.before or {}, after)
        fields = audit.personal_fields(change.obj)
        if fields:
            changes = audit.protect(changes, fields, salts[str(change.obj.pk)])
        events.append(
            AuditEvent(
                organization_id=plan.organization.pk,
                actor=actor if actor is not None and actor.pk else None,
                actor_label=(actor.username if actor is not None else "system")[:150],
                action=action,
                object_type=object_type,
                object_id=str(change.obj.pk),
                object_repr=_repr(change.obj)[:200],
                changes=changes,
                request_id=ctx.request_id,
                ip=ctx.ip,
                user_agent=ctx.user_agent,
                created_at=now,
            )
        )

    for changes, name in (
        (plan.projects, "project"),
        (plan.buildings, "building"),
        (plan.units, "unit"),
        (plan.customers, "customer"),
        (plan.leases, "lease"),
    ):
        for change in changes:
            verb = "create" if change.before is None else "update"
            add(change, f"import.{name}.{verb}", f"{change.obj._meta.label_lower}")
    for change in plan.unit_status_only:
        add(change, "import.unit.status", "portfolio.unit")
    return events


def _repr(obj: Any) -> str:
    if isinstance(obj, Unit):
        return f"{obj.building.name} {obj.code}"
    return audit.object_label(obj)
