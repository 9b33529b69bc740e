"""Writes to customers and leases. Lease status changes only through these services.

The no-overlap invariant: two non-void leases of one unit never overlap on
``[start_date, occupied_until]``. Services lock the unit row (PostgreSQL) or hold SQLite's write
lock (``transaction_mode=IMMEDIATE``) before they check, and the PostgreSQL exclusion constraint
``lease_no_overlap`` refuses an overlap even when this code is bypassed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.crypto import blind_index
from anzu.common.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from anzu.common.money import to_money
from anzu.core import access, audit, counters
from anzu.core.models import User
from anzu.leasing import access as leasing_access
from anzu.leasing.choices import (
    LEASE_TRANSITIONS,
    PAYMENT_CYCLE_MONTHS,
    CustomerKind,
    DueDayRule,
    IdType,
    LeaseStatus,
)
from anzu.leasing.idnumbers import phone_problem, resident_id_problem, uscc_problem
from anzu.leasing.models import Customer, Lease
from anzu.portfolio import access as portfolio_access
from anzu.portfolio.choices import UnitStatus
from anzu.portfolio.models import Project, Unit
from anzu.risk.approvals.guard import guard
from anzu.risk.approvals.models import ApprovalRequest

MAX_TERM_YEARS = 20  # Civil Code art. 705

# Customers --------------------------------------------------------------------------------

CUSTOMER_SPEC: dict[str, Any] = {
    "kind": lambda x, f: v.choice(x, field=f, choices=CustomerKind.choices),
    "name": lambda x, f: v.text(x, field=f, max_length=200),
    "id_type": lambda x, f: v.choice(x, field=f, choices=IdType.choices),
    "id_number": lambda x, f: v.text(x, field=f, max_length=40).upper(),
    "phone": lambda x, f: "".join(v.text(x, field=f, max_length=20, required=False).split()),
    "email": lambda x, f: v.text(x, field=f, max_length=254, required=False),
    "wechat_openid": lambda x, f: v.text(x, field=f, max_length=64, required=False),
    "notes": lambda x, f: v.text(x, field=f, max_length=2000, required=False),
    "tags": lambda x, f: _tags(x, f),
    "project_id": lambda x, f: x,
}
CUSTOMER_AUDIT_FIELDS = (
    "kind",
    "name",
    "id_type",
    "id_number",
    "phone",
    "email",
    "wechat_openid",
    "notes",
    "tags",
    "project",
)


def _tags(value: Any, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [t for t in value.replace("，", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationFailed("invalid", "Tags must be a list of text.", field=field)
    tags = sorted({t.strip() for t in value if t.strip()})
    if any(len(t) > 40 for t in tags):
        raise ValidationFailed("too_long", "A tag has at most 40 characters.", field=field)
    return tags


def check_customer(cleaned: dict[str, Any], current: Customer | None) -> None:
    kind = cleaned.get("kind", current.kind if current else None)
    id_type = cleaned.get("id_type", current.id_type if current else None)
    id_number = cleaned.get("id_number", current.id_number if current else "")
    if kind == CustomerKind.COMPANY and id_type != IdType.USCC:
        raise ValidationFailed(
            "invalid", "A company is identified by its unified social credit code.", field="id_type"
        )
    if kind == CustomerKind.PERSON and id_type == IdType.USCC:
        raise ValidationFailed(
            "invalid", "A person cannot use a unified social credit code.", field="id_type"
        )
    problem = None
    if id_type == IdType.RESIDENT_ID:
        problem = resident_id_problem(id_number)
    elif id_type == IdType.USCC:
        problem = uscc_problem(id_number)
    elif len(id_number) < 5:
        problem = "The ID number is too short."
    if problem:
        raise ValidationFailed("invalid", problem, field="id_number")
    phone = cleaned.get("phone")
    if phone:
        problem = phone_problem(phone)
        if problem:
            raise ValidationFailed("invalid", problem, field="phone")
    email = cleaned.get("email")
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise ValidationFailed("invalid", "Enter a valid email address.", field="email")


def _customer_project(by: User, project_id: Any) -> Project | None:
    if project_id in (None, ""):
        return None
    try:
        return portfolio_access.project_for_user(by, project_id)
    except NotFound:
        raise ValidationFailed("not_found", "Unknown project.", field="project_id") from None


def _assign_customer(customer: Customer, cleaned: dict[str, Any], by: User) -> None:
    for name, value in cleaned.items():
        if name == "project_id":
            customer.project = _customer_project(by, value)
        else:
            setattr(customer, name, value)
    customer.id_number_index = blind_index(customer.id_number, purpose="id_number")
    customer.phone_index = blind_index(customer.phone, purpose="phone") if customer.phone else ""


def _save_customer(customer: Customer) -> None:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise Conflict(
            "duplicate", "A customer with this ID number already exists.", field="id_number"
        ) from None


def customer_create(*, by: User, data: dict[str, Any]) -> Customer:
    access.require(by, "customer.write")
    cleaned = v.clean(data, CUSTOMER_SPEC, partial=False)
    check_customer(cleaned, None)
    customer = Customer(organization_id=access.org_id(by))
    _assign_customer(customer, cleaned, by)
    with transaction.atomic():
        _save_customer(customer)
        audit.record(
            action="customer.create",
            obj=customer,
            organization=customer.organization_id,
            actor=by,
            changes=audit.diff({}, audit.snapshot(customer, CUSTOMER_AUDIT_FIELDS)),
        )
    return customer


def customer_update(*, customer: Customer, by: User, data: dict[str, Any]) -> Customer:
    access.require(by, "customer.write")
    cleaned = v.clean(data, CUSTOMER_SPEC, partial=True)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        check_customer(cleaned, customer)
        before = audit.snapshot(customer, CUSTOMER_AUDIT_FIELDS)
        _assign_customer(customer, cleaned, by)
        changes = audit.diff(before, audit.snapshot(customer, CUSTOMER_AUDIT_FIELDS))
        if changes:
            _save_customer(customer)
            audit.record(
                action="customer.update",
                obj=customer,
                organization=customer.organization_id,
                actor=by,
                changes=changes,
            )
    return customer


# Leases -----------------------------------------------------------------------------------

LEASE_TERMS_SPEC: dict[str, Any] = {
    "start_date": lambda x, f: v.date(x, field=f),
    "end_date": lambda x, f: v.date(x, field=f),
    "monthly_rent": lambda x, f: to_money(x, field=f, allow_zero=False),
    "deposit_months": lambda x, f: v.integer(
        0 if x in (None, "") else x, field=f, minimum=0, maximum=12
    ),
    "pay_months": lambda x, f: _pay_months(x, f),
    "deposit": lambda x, f: None if x in (None, "") else to_money(x, field=f),
    "due_day_rule": lambda x, f: v.choice(
        x or DueDayRule.DAYS_BEFORE_PERIOD, field=f, choices=DueDayRule.choices
    ),
    "due_day_value": lambda x, f: v.integer(
        0 if x in (None, "") else x, field=f, minimum=0, maximum=31
    ),
    "rent_free_periods": lambda x, f: _periods(x, f),
    "escalation_pct": lambda x, f: v.decimal(
        x, field=f, places=2, minimum=Decimal("-50"), maximum=Decimal("100"), required=False
    ),
    "escalation_every_months": lambda x, f: (
        None if x in (None, "") else v.integer(x, field=f, minimum=1, maximum=120)
    ),
    "late_fee_daily_rate": lambda x, f: v.decimal(
        0 if x in (None, "") else x, field=f, places=5, minimum=Decimal(0), maximum=Decimal("0.05")
    ),
    "late_fee_grace_days": lambda x, f: v.integer(
        0 if x in (None, "") else x, field=f, minimum=0, maximum=90
    ),
    "allows_access_freeze": lambda x, f: _boolean(x, f),
    "notes": lambda x, f: v.text(x, field=f, max_length=2000, required=False),
}
LEASE_CREATE_SPEC: dict[str, Any] = {
    "unit_id": lambda x, f: x,
    "customer_id": lambda x, f: x,
    "code": lambda x, f: v.text(x, field=f, max_length=40, required=False),
    **LEASE_TERMS_SPEC,
}
LEASE_AUDIT_FIELDS = (
    "unit",
    "customer",
    "code",
    "status",
    *LEASE_TERMS_SPEC.keys(),
    "occupied_until",
    "terminated_on",
    "termination_reason",
)


def _pay_months(value: Any, field: str) -> int:
    number = v.integer(1 if value in (None, "") else value, field=field, minimum=1, maximum=12)
    if number not in PAYMENT_CYCLE_MONTHS:
        raise ValidationFailed(
            "invalid_choice",
            "Pay monthly (1), quarterly (3), half-yearly (6) or yearly (12).",
            field=field,
        )
    return number


def _boolean(value: Any, field: str) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on", "是", "y"}:
        return True
    if lowered in {"0", "false", "no", "off", "否", "n"}:
        return False
    raise ValidationFailed("invalid", "Enter yes or no.", field=field)


def _periods(value: Any, field: str) -> list[dict[str, str]]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list):
        raise ValidationFailed("invalid", "Enter a list of {start, end} periods.", field=field)
    periods: list[tuple[dt.date, dt.date]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"start", "end"}:
            raise ValidationFailed("invalid", f"Period {i + 1}: use start and end.", field=field)
        start = v.date(item.get("start"), field=field)
        end = v.date(item.get("end"), field=field)
        assert start is not None and end is not None
        if end < start:
            raise ValidationFailed("invalid", f"Period {i + 1}: end is before start.", field=field)
        periods.append((start, end))
    periods.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(periods):
        if s2 <= e1:
            raise ValidationFailed("invalid", "Rent-free periods overlap.", field=field)
    return [{"start": s.isoformat(), "end": e.isoformat()} for s, e in periods]


def check_lease_terms(terms: dict[str, Any]) -> None:
    start: dt.date = terms["start_date"]
    end: dt.date = terms["end_date"]
    if end < start:
        raise ValidationFailed(
            "end_before_start", "The end date is before the start date.", field="end_date"
        )
    try:
        limit = start.replace(year=start.year + MAX_TERM_YEARS)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + MAX_TERM_YEARS, day=28)
    if end >= limit:
        raise ValidationFailed(
            "term_too_long",
            "A lease term may not exceed 20 years (Civil Code art. 705).",
            field="end_date",
        )
    if terms["deposit"] is None:
        terms["deposit"] = (terms["monthly_rent"] * terms["deposit_months"]).quantize(
            Decimal("0.01")
        )
    if terms["due_day_rule"] == DueDayRule.DAY_OF_MONTH and not 1 <= terms["due_day_value"] <= 28:
        raise ValidationFailed(
            "invalid", "A fixed due day must be between 1 and 28.", field="due_day_value"
        )
    if (terms["escalation_pct"] is None) != (terms["escalation_every_months"] is None):
        field = (
            "escalation_every_months" if terms["escalation_pct"] is not None else "escalation_pct"
        )
        raise ValidationFailed(
            "required",
            "Give both the escalation percentage and its interval, or neither.",
            field=field,
        )
    for period in terms["rent_free_periods"]:
        if period["start"] < start.isoformat() or period["end"] > end.isoformat():
            raise ValidationFailed(
                "invalid",
                "Rent-free periods must lie within the lease term.",
                field="rent_free_periods",
            )


def _conflict_for(
    lease_id: int | None, unit_id: int, start: dt.date, until: dt.date
) -> Lease | None:
    qs = Lease.objects.filter(
        unit_id=unit_id, start_date__lte=until, occupied_until__gte=start
    ).exclude(status=LeaseStatus.VOID)
    if lease_id is not None:
        qs = qs.exclude(pk=lease_id)
    return qs.order_by("start_date", "id").first()


def _overlap_error(conflict: Lease) -> Conflict:
    return Conflict(
        "lease_overlap",
        f"The unit is already leased from {conflict.start_date} to {conflict.occupied_until} "
        f"by lease {conflict.code}.",
        field="start_date",
        conflicting_lease={
            "id": conflict.pk,
            "code": conflict.code,
            "status": conflict.status,
            "start_date": conflict.start_date.isoformat(),
            "end_date": conflict.occupied_until.isoformat(),
        },
    )


def _lock_unit(unit_id: int) -> Unit:
    """Serialize writers of one unit. SQLite already holds the database write lock."""
    return Unit.objects.select_for_update().get(pk=unit_id)


def _save_lease(lease: Lease) -> None:
    """Check for an overlap, then save; map the database's refusal to the same 409."""
    conflict = _conflict_for(lease.pk, lease.unit_id, lease.start_date, lease.occupied_until)
    if conflict is not None:
        raise _overlap_error(conflict)
    try:
        with transaction.atomic():
            lease.save()
    except IntegrityError as exc:
        conflict = _conflict_for(lease.pk, lease.unit_id, lease.start_date, lease.occupied_until)
        if conflict is not None:
            raise _overlap_error(conflict) from None
        if "uniq_lease_code" in str(exc):
            raise Conflict("duplicate", "This lease number already exists.", field="code") from None
        raise


def _lease_code(organization_id: int, start: dt.date) -> str:
    number = counters.next_value(organization_id=organization_id, name=f"lease-{start.year}")
    return f"L{start.year}-{number:06d}"


def _record_refused_overlap(
    *, by: User, unit: Unit, conflict: Lease, cleaned: dict[str, Any]
) -> None:
    """Leave the refused attempt in the audit log (its own transaction: nothing else is written)."""
    with transaction.atomic():
        audit.record(
            action="lease.create_refused",
            obj=unit,
            organization=access.org_id(by),
            actor=by,
            changes={
                "reason": [None, "lease_overlap"],
                "start_date": [None, cleaned["start_date"].isoformat()],
                "end_date": [None, cleaned["end_date"].isoformat()],
                "conflicting_lease": [None, conflict.code],
            },
        )


def lease_create(
    *, by: User, data: dict[str, Any], approval: ApprovalRequest | None = None
) -> Lease | ApprovalRequest:
    """Create a draft lease. It reserves the unit over its term at once.

    Guarded (``lease.create``): without an executing ``approval`` this returns the approval
    request instead, and nothing is reserved until a checker approves it.
    """
    access.require(by, "lease.write")
    raw = dict(data)
    cleaned = v.clean(data, LEASE_CREATE_SPEC, partial=False)
    try:
        unit = portfolio_access.unit_for_user(by, cleaned.pop("unit_id"))
    except NotFound:
        raise ValidationFailed("not_found", "Unknown unit.", field="unit_id") from None
    try:
        customer = leasing_access.customer_for_user(by, cleaned.pop("customer_id"))
    except NotFound:
        raise ValidationFailed("not_found", "Unknown customer.", field="customer_id") from None
    check_lease_terms(cleaned)
    if approval is None:
        # Refuse an overlap at once rather than ask a checker to approve a doomed request.
        conflict = _conflict_for(None, unit.pk, cleaned["start_date"], cleaned["end_date"])
        if conflict is not None:
            _record_refused_overlap(by=by, unit=unit, conflict=conflict, cleaned=cleaned)
            raise _overlap_error(conflict)
    pending = guard(
        "lease.create",
        by=by,
        args={"data": raw},
        approval=approval,
        summary=f"{unit} · {customer.name}",
        diff=[
            (name, None, audit._jsonable(cleaned[name]))
            for name in ("start_date", "end_date", "monthly_rent", "deposit", "pay_months")
        ]
        + [("unit", None, str(unit)), ("customer", None, customer.name)],
        amount=cleaned["monthly_rent"],
        obj=unit,
        project_id=unit.project_id,
        building_id=unit.building_id,
    )
    if pending is not None:
        return pending
    code = cleaned.pop("code")
    with transaction.atomic():
        _lock_unit(unit.pk)
        lease = Lease(
            organization_id=access.org_id(by),
            project_id=unit.project_id,
            building_id=unit.building_id,
            unit=unit,
            customer=customer,
            status=LeaseStatus.DRAFT,
            created_by=by,
            **cleaned,
        )
        lease.occupied_until = lease.end_date
        lease.code = code or _lease_code(access.org_id(by), lease.start_date)  # type: ignore[arg-type]
        _save_lease(lease)
        audit.record(
            action="lease.create",
            obj=lease,
            organization=lease.organization_id,
            actor=by,
            changes=audit.diff({}, audit.snapshot(lease, LEASE_AUDIT_FIELDS)),
        )
        unit_refresh_status(unit_id=unit.pk, by=by)
    return lease


def _locked_lease(lease: Lease, expected_version: int | None) -> Lease:
    _lock_unit(lease.unit_id)
    locked = Lease.objects.select_for_update().get(pk=lease.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            "stale",
            "The lease was changed by someone else; reload and try again.",
            field="version",
            current_version=locked.version,
        )
    return locked


# The terms of an active lease that a rent change may touch (guarded: ``lease.rent_change``).
RENT_CHANGE_FIELDS = ("monthly_rent", "escalation_pct", "escalation_every_months")


def _rent_change_request(
    lease: Lease,
    by: User,
    data: dict[str, Any],
    cleaned: dict[str, Any],
    expected_version: int | None,
    approval: ApprovalRequest | None,
) -> ApprovalRequest | None:
    """Guard a change of an active lease's rent; only the rent fields may change."""
    current = Lease.objects.get(pk=lease.pk)
    changed = {
        name: value
        for name, value in cleaned.items()
        if getattr(current, name) != value and (value is not None or name in RENT_CHANGE_FIELDS)
    }
    other = sorted(set(changed) - set(RENT_CHANGE_FIELDS))
    if other:
        raise Conflict(
            "not_editable",
            "Only the rent and its escalation of an active lease can be changed.",
            field=other[0],
        )
    if not changed:
        raise ValidationFailed("unchanged", "Nothing to change.", field="monthly_rent")
    for name in list(cleaned):
        if name not in changed:
            del cleaned[name]
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            "stale",
            "The lease was changed by someone else; reload and try again.",
            field="version",
            current_version=current.version,
        )
    return guard(
        "lease.rent_change",
        by=by,
        args={"lease_id": lease.pk, "data": {name: data[name] for name in changed}},
        approval=approval,
        summary=f"{current.code}",
        diff=[
            (name, audit._jsonable(getattr(current, name)), audit._jsonable(value))
            for name, value in changed.items()
        ],
        amount=cleaned.get("monthly_rent", current.monthly_rent),
        obj=current,
        project_id=current.project_id,
        building_id=current.building_id,
    )


def lease_update(
    *,
    lease: Lease,
    by: User,
    data: dict[str, Any],
    expected_version: int | None = None,
    approval: ApprovalRequest | None = None,
) -> Lease | ApprovalRequest:
    """Change the terms of a draft lease (a pending one returns to draft).

    On an active lease only the rent and its escalation change, and only with an approval
    (``lease.rent_change``): without one this returns the approval request.
    """
    access.require(by, "lease.write")
    cleaned = v.clean(data, LEASE_TERMS_SPEC, partial=True)
    current_status = Lease.objects.filter(pk=lease.pk).values_list("status", flat=True).first()
    rent_change = current_status == LeaseStatus.ACTIVE
    if rent_change:
        pending = _rent_change_request(lease, by, dict(data), cleaned, expected_version, approval)
        if pending is not None:
            return pending
    with transaction.atomic():
        lease = _locked_lease(lease, expected_version)
        allowed = (LeaseStatus.ACTIVE,) if rent_change else ()
        if lease.status not in (LeaseStatus.DRAFT, LeaseStatus.PENDING_APPROVAL, *allowed):
            raise Conflict(
                "not_editable", "Only draft or pending leases can be edited.", field="status"
            )
        before = audit.snapshot(lease, LEASE_AUDIT_FIELDS)
        terms = {name: getattr(lease, name) for name in LEASE_TERMS_SPEC}
        derived_deposit = (lease.monthly_rent * lease.deposit_months).quantize(Decimal("0.01"))
        terms_changed = "monthly_rent" in cleaned or "deposit_months" in cleaned
        if (
            not rent_change
            and "deposit" not in cleaned
            and terms_changed
            and lease.deposit == derived_deposit
        ):
            # The deposit follows rent × months unless it was given explicitly.
            terms["deposit"] = None
        terms.update(cleaned)
        check_lease_terms(terms)
        for name, value in terms.items():
            setattr(lease, name, value)
        lease.occupied_until = lease.end_date
        if lease.status == LeaseStatus.PENDING_APPROVAL:
            lease.status = LeaseStatus.DRAFT
        changes = audit.diff(before, audit.snapshot(lease, LEASE_AUDIT_FIELDS))
        if changes:
            lease.version += 1
            _save_lease(lease)
            audit.record(
                action="lease.update",
                obj=lease,
                organization=lease.organization_id,
                actor=by,
                changes=changes,
            )
            unit_refresh_status(unit_id=lease.unit_id, by=by)
    return lease


def _transition(
    lease: Lease,
    *,
    target: str,
    by: User,
    action: str,
    expected_version: int | None,
    extra: dict[str, Any] | None = None,
    noted: dict[str, Any] | None = None,
) -> Lease:
    with transaction.atomic():
        lease = _locked_lease(lease, expected_version)
        if target not in LEASE_TRANSITIONS[lease.status]:
            raise IllegalTransition(current=lease.status, target=target)
        before = audit.snapshot(lease, LEASE_AUDIT_FIELDS)
        lease.status = target
        for name, value in (extra or {}).items():
            setattr(lease, name, value)
        lease.version += 1
        _save_lease(lease)
        audit.record(
            action=action,
            obj=lease,
            organization=lease.organization_id,
            actor=by,
            changes={
                **audit.diff(before, audit.snapshot(lease, LEASE_AUDIT_FIELDS)),
                **(noted or {}),
            },
        )
        unit_refresh_status(unit_id=lease.unit_id, by=by)
    return lease


def lease_submit(*, lease: Lease, by: User, expected_version: int | None = None) -> Lease:
    access.require(by, "lease.write")
    return _transition(
        lease,
        target=LeaseStatus.PENDING_APPROVAL,
        by=by,
        action="lease.submit",
        expected_version=expected_version,
    )


def lease_return_to_draft(*, lease: Lease, by: User, expected_version: int | None = None) -> Lease:
    access.require(by, "lease.activate")
    return _transition(
        lease,
        target=LeaseStatus.DRAFT,
        by=by,
        action="lease.return_to_draft",
        expected_version=expected_version,
    )


def lease_activate(
    *,
    lease: Lease,
    by: User,
    expected_version: int | None = None,
    approval: ApprovalRequest | None = None,
) -> Lease | ApprovalRequest:
    """Activate a pending lease. Guarded (``lease.activate``): without an executing approval
    this returns the approval request; the lease's creator may never be its checker.

    ``activated_by`` is ``by``: the maker who asked (an approval runs the command as its
    maker); the checkers stay on the approval request, whose id the audit event names."""
    access.require(by, "lease.activate")
    current = Lease.objects.get(pk=lease.pk)
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            "stale",
            "The lease was changed by someone else; reload and try again.",
            field="version",
            current_version=current.version,
        )
    if LeaseStatus.ACTIVE not in LEASE_TRANSITIONS[current.status]:
        raise IllegalTransition(current=current.status, target=LeaseStatus.ACTIVE)
    pending = guard(
        "lease.activate",
        by=by,
        args={"lease_id": lease.pk},
        approval=approval,
        summary=f"{current.code}",
        diff=[("status", current.status, LeaseStatus.ACTIVE)],
        amount=current.monthly_rent,
        obj=current,
        project_id=current.project_id,
        building_id=current.building_id,
        excluded=[current.created_by_id],
    )
    if pending is not None:
        return pending
    return _transition(
        lease,
        target=LeaseStatus.ACTIVE,
        by=by,
        action="lease.activate",
        expected_version=expected_version,
        extra={"activated_at": clock.now(), "activated_by": by},
        noted={
            "activated_by": [None, by.pk],
            **({"approval": [None, approval.pk]} if approval is not None else {}),
        },
    )


def lease_terminate(
    *, lease: Lease, by: User, on: Any, reason: str, expected_version: int | None = None
) -> Lease:
    """End an active lease early on ``on`` (its last day); the unit is free from the next day."""
    access.require(by, "lease.terminate")
    day = v.date(on, field="terminated_on")
    assert day is not None
    reason = v.text(reason, field="termination_reason", max_length=300)
    if day < lease.start_date:
        raise ValidationFailed(
            "invalid", "The termination date is before the lease starts.", field="terminated_on"
        )
    if day > lease.end_date:
        raise ValidationFailed(
            "invalid", "The termination date is after the lease ends.", field="terminated_on"
        )
    return _transition(
        lease,
        target=LeaseStatus.TERMINATED,
        by=by,
        action="lease.terminate",
        expected_version=expected_version,
        extra={"terminated_on": day, "termination_reason": reason, "occupied_until": day},
    )


def lease_void(
    *, lease: Lease, by: User, reason: str, expected_version: int | None = None
) -> Lease:
    """Cancel a lease that never became active; it releases the unit."""
    access.require(by, "lease.write")
    reason = v.text(reason, field="termination_reason", max_length=300)
    return _transition(
        lease,
        target=LeaseStatus.VOID,
        by=by,
        action="lease.void",
        expected_version=expected_version,
        extra={"termination_reason": reason},
    )


def leases_expire(*, today: dt.date | None = None) -> int:
    """Mark active leases whose end date has passed as expired (daily task). Idempotent."""
    day = today or clock.today()
    expired = 0
    ids = list(
        Lease.objects.filter(status=LeaseStatus.ACTIVE, end_date__lt=day).values_list(
            "pk", flat=True
        )
    )
    for lease_id in ids:
        with transaction.atomic():
            lease = Lease.objects.select_for_update().get(pk=lease_id)
            if lease.status != LeaseStatus.ACTIVE or lease.end_date >= day:
                continue
            lease.status = LeaseStatus.EXPIRED
            lease.version += 1
            lease.save(update_fields=["status", "version", "updated_at"])
            audit.record(
                action="lease.expire",
                obj=lease,
                organization=lease.organization_id,
                actor=None,
                changes={"status": [LeaseStatus.ACTIVE, LeaseStatus.EXPIRED]},
            )
            unit_refresh_status(unit_id=lease.unit_id, by=None, today=day)
            expired += 1
    return expired


def unit_refresh_status(*, unit_id: int, by: User | None, today: dt.date | None = None) -> str:
    """Derive occupied / reserved / vacant from the unit's leases (maintenance/offline stay)."""
    day = today or clock.today()
    unit = Unit.objects.select_for_update().get(pk=unit_id)
    if unit.status in (UnitStatus.MAINTENANCE, UnitStatus.OFFLINE):
        return unit.status
    leases = Lease.objects.filter(unit_id=unit_id).exclude(status=LeaseStatus.VOID)
    if leases.filter(
        status=LeaseStatus.ACTIVE, start_date__lte=day, occupied_until__gte=day
    ).exists():
        status = UnitStatus.OCCUPIED
    elif leases.filter(
        Q(status__in=[LeaseStatus.DRAFT, LeaseStatus.PENDING_APPROVAL, LeaseStatus.ACTIVE]),
        occupied_until__gte=day,
    ).exists():
        status = UnitStatus.RESERVED
    else:
        status = UnitStatus.VACANT
    if status != unit.status:
        old = unit.status
        Unit.objects.filter(pk=unit_id).update(status=status)
        audit.record(
            action="unit.status",
            object_type="portfolio.unit",
            object_id=unit_id,
            organization=unit.organization_id,
            actor=by,
            changes={"status": [old, status]},
        )
    return status
