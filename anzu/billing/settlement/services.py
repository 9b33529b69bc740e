"""Writes of the settlement app: open, inspect, prepare, approve, reject, close, cancel, export.

Each service checks the capability, validates, then writes in one transaction that locks the
case (``select_for_update``) and checks its ``version`` when the caller sends one. Closing runs
the billing and leasing services in one transaction: damages become charges, the lease ends on
the move-out date, credit and the deposit pay what is owed, the rest of the deposit is refunded
and the unit's status is derived again. Any failure rolls all of it back. Nothing is refunded
before a person other than the preparer approved the statement.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop, pgettext_lazy

from anzu.billing import services as billing_services
from anzu.billing.choices import BillKind, PaymentChannel
from anzu.billing.settlement import selectors, statement_pdf
from anzu.billing.settlement.choices import (
    EDITABLE_STATUSES,
    FINISHED_STATUSES,
    PREPARABLE_STATUSES,
    ItemCondition,
    SettlementSource,
    SettlementStatus,
)
from anzu.billing.settlement.models import InspectionItem, SettlementCase
from anzu.billing.settlement.presenters import credit_report_line
from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, DomainError, NotFound, ValidationFailed
from anzu.common.money import to_money
from anzu.core import access, audit
from anzu.core.models import Organization, User
from anzu.documents.choices import DocumentKind
from anzu.documents.services import document_archive
from anzu.leasing import access as leasing_access
from anzu.leasing import services as leasing_services
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease

ZERO = Decimal("0.00")
SETTLEABLE_LEASE_STATUSES = (LeaseStatus.ACTIVE, LeaseStatus.TERMINATED, LeaseStatus.EXPIRED)
MAX_ITEMS = 200
UNCHANGED: Any = object()

# Fixed messages of this module, listed for translation (and the menu entry's label).
MESSAGES = [
    gettext_noop("Settlements"),
    gettext_noop("Only active, terminated or expired leases can be settled."),
    gettext_noop("The move-out date is before the lease starts."),
    gettext_noop("The move-out date is after the lease's last day."),
    gettext_noop("The settlement was changed by someone else; reload and try again."),
    gettext_noop("The checklist can no longer be changed."),
    gettext_noop("Send the checklist as a list of items."),
    gettext_noop("At most 200 checklist items."),
    gettext_noop("An item in good condition has no damage amount."),
    gettext_noop("Inspect the unit before preparing the statement."),
    gettext_noop("Set the move-out date first."),
    gettext_noop(
        "Open bills start after the move-out date; terminate the lease on the move-out date "
        "first (the daily bill run then voids unpaid rent after it) or change the date."
    ),
    gettext_noop("The ledger changed while the statement was computed; try again."),
    gettext_noop("Only a prepared statement can be approved."),
    gettext_noop("Only a prepared statement can be rejected."),
    gettext_noop("The person who prepared the statement cannot approve it."),
    gettext_noop("The ledger changed since the statement was prepared; prepare it again."),
    gettext_noop("Only an approved settlement can be closed."),
    gettext_noop("The tenant moves out later; close the settlement on or after the move-out date."),
    gettext_noop("Choose how the deposit is refunded."),
    gettext_noop("The ledger after closing does not match the approved statement."),
    gettext_noop("This settlement is already closed or cancelled."),
]


class PreparerCannotApprove(DomainError):
    """Four eyes: the approver must be a person other than the preparer (no bypass)."""

    status = 403

    def __init__(self) -> None:
        super().__init__(
            "preparer_cannot_approve",
            "The person who prepared the statement cannot approve it.",
            field="approved_by",
        )


# Helpers ------------------------------------------------------------------------------------


def _stale(current: int) -> Conflict:
    return Conflict(
        "stale",
        "The settlement was changed by someone else; reload and try again.",
        field="version",
        current_version=current,
    )


def _locked(case: SettlementCase, expected_version: int | None) -> SettlementCase:
    locked = (
        SettlementCase.objects.select_for_update()
        .select_related("lease", "lease__customer", "lease__building", "lease__unit")
        .get(pk=case.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise _stale(locked.version)
    return locked


def _wrong_status(message: str) -> Conflict:
    return Conflict("wrong_status", message, field="status")


def _check_move_out(lease: Lease, value: Any) -> dt.date | None:
    day = v.date(value, field="move_out_date", required=False)
    if day is None:
        return None
    if day < lease.start_date:
        raise ValidationFailed(
            "invalid", "The move-out date is before the lease starts.", field="move_out_date"
        )
    if day > lease.occupied_until:
        raise ValidationFailed(
            "invalid", "The move-out date is after the lease's last day.", field="move_out_date"
        )
    return day


def _save(case: SettlementCase, fields: list[str]) -> None:
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


def _statement_reset(case: SettlementCase) -> list[str]:
    """Forget a prepared statement (the checklist or the date changed)."""
    case.statement = None
    case.statement_fingerprint = ""
    case.statement_document = None
    case.prepared_by = None
    case.prepared_at = None
    case.approved_by = None
    case.approved_at = None
    return [
        "statement",
        "statement_fingerprint",
        "statement_document",
        "prepared_by",
        "prepared_at",
        "approved_by",
        "approved_at",
    ]


# Open ---------------------------------------------------------------------------------------


def settlement_open(
    *,
    lease: Lease,
    by: User | None,
    source: str = "manual",
    reason: str = "",
    move_out_date: dt.date | None = None,
) -> SettlementCase:
    """Open the settlement of ``lease``, or return the case it already has (idempotent).

    ``by=None`` is the system (the dunning engine): no capability check, audit actor None.
    """
    case, _created = settlement_open_or_get(
        lease=lease, by=by, source=source, reason=reason, move_out_date=move_out_date
    )
    return case


def _active_case(lease_id: int) -> SettlementCase | None:
    return (
        SettlementCase.objects.filter(lease_id=lease_id)
        .exclude(status__in=FINISHED_STATUSES)
        .first()
    )


def settlement_open_or_get(
    *,
    lease: Lease,
    by: User | None,
    source: str = "manual",
    reason: str = "",
    move_out_date: Any = None,
) -> tuple[SettlementCase, bool]:
    """:func:`settlement_open`, also telling whether the case was created now."""
    if by is not None:
        access.require(by, "settlement.manage")
        if (
            lease.organization_id != access.org_id(by)
            or not leasing_access.leases_for_user(by).filter(pk=lease.pk).exists()
        ):
            raise NotFound("lease")
    source = v.choice(source, field="source", choices=SettlementSource.choices)
    if by is None:
        reason = str(reason or "")[:300]  # the system's own text is kept, not refused
    reason = v.text(reason, field="reason", max_length=300, required=False)
    existing = _active_case(lease.pk)
    if existing is not None:
        return existing, False
    lease = Lease.objects.select_related("customer", "building", "unit").get(pk=lease.pk)
    if lease.status not in SETTLEABLE_LEASE_STATUSES:
        raise ValidationFailed(
            "lease_not_settleable",
            "Only active, terminated or expired leases can be settled.",
            field="lease_id",
        )
    day = _check_move_out(lease, move_out_date)
    if day is None and lease.status != LeaseStatus.ACTIVE:
        day = lease.occupied_until
    case = SettlementCase(
        organization_id=lease.organization_id,
        lease=lease,
        customer_id=lease.customer_id,
        project_id=lease.project_id,
        building_id=lease.building_id,
        unit_id=lease.unit_id,
        source=source,
        reason=reason,
        move_out_date=day,
        opened_by=by,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError:
            existing = _active_case(lease.pk)
            if existing is None:
                raise
            return existing, False
        audit.record(
            action="settlement.open",
            obj=case,
            organization=case.organization_id,
            actor=by,
            changes={
                "lease": [None, lease.pk],
                "source": [None, source],
                "reason": [None, reason],
                "move_out_date": [None, day],
                "status": [None, case.status],
            },
        )
    return case, True


# Inspect ------------------------------------------------------------------------------------


def _clean_items(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list | tuple):
        raise ValidationFailed("invalid", "Send the checklist as a list of items.", field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed("too_many", "At most 200 checklist items.", field="items")
    cleaned: list[dict[str, Any]] = []
    for i, raw in enumerate(items):
        prefix = f"items.{i}."
        if not isinstance(raw, dict):
            raise ValidationFailed(
                "invalid", "Send the checklist as a list of items.", field=f"items.{i}"
            )
        condition = v.choice(
            raw.get("condition") or ItemCondition.OK,
            field=prefix + "condition",
            choices=ItemCondition.choices,
        )
        amount_raw = raw.get("damage_amount")
        amount = (
            ZERO
            if amount_raw in (None, "")
            else to_money(amount_raw, field=prefix + "damage_amount")
        )
        if condition == ItemCondition.OK and amount > 0:
            raise ValidationFailed(
                "damage_on_ok_item",
                "An item in good condition has no damage amount.",
                field=prefix + "damage_amount",
            )
        cleaned.append(
            {
                "area": v.text(raw.get("area"), field=prefix + "area", max_length=100),
                "item": v.text(raw.get("item"), field=prefix + "item", max_length=100),
                "condition": condition,
                "damage_amount": amount,
                "note": v.text(
                    raw.get("note", ""), field=prefix + "note", max_length=300, required=False
                ),
            }
        )
    return cleaned


def _items_log(items: list[InspectionItem] | list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for it in items:
        get = it.get if isinstance(it, dict) else lambda k, _it=it: getattr(_it, k)
        rows.append([get("area"), get("item"), get("condition"), str(get("damage_amount"))])
    return rows


def settlement_inspect(
    *,
    case: SettlementCase,
    by: User,
    items: Any,
    move_out_date: Any = UNCHANGED,
    expected_version: int | None = None,
) -> SettlementCase:
    """Replace the checklist (and optionally the move-out date); editable until approval.

    A prepared statement is discarded: the case returns to "inspected" and must be prepared again.
    """
    access.require(by, "settlement.manage")
    cleaned = _clean_items(items)
    with transaction.atomic():
        case = _locked(case, expected_version)
        if case.status not in EDITABLE_STATUSES:
            raise _wrong_status("The checklist can no longer be changed.")
        day = case.move_out_date
        if move_out_date is not UNCHANGED:
            day = _check_move_out(case.lease, move_out_date)
        before_items = _items_log(list(case.items.all()))
        changes: dict[str, Any] = {}
        if before_items != _items_log(cleaned):
            changes["items"] = [before_items, _items_log(cleaned)]
        if day != case.move_out_date:
            changes["move_out_date"] = [case.move_out_date, day]
        if case.status != SettlementStatus.INSPECTED:
            changes["status"] = [case.status, SettlementStatus.INSPECTED]
        InspectionItem.objects.filter(case=case).delete()
        InspectionItem.objects.bulk_create(
            [InspectionItem(case=case, position=n, **row) for n, row in enumerate(cleaned)]
        )
        fields = ["status", "move_out_date", *_statement_reset(case)]
        case.status = SettlementStatus.INSPECTED
        case.move_out_date = day
        _save(case, fields)
        audit.record(
            action="settlement.inspect",
            obj=case,
            organization=case.organization_id,
            actor=by,
            changes=changes,
        )
    return case


# Prepare ------------------------------------------------------------------------------------


def _compute(case: SettlementCase) -> tuple[dict[str, Any], str]:
    if case.move_out_date is None:
        raise ValidationFailed("required", "Set the move-out date first.", field="move_out_date")
    before = selectors.ledger_fingerprint(case.lease)
    statement = selectors.compute_statement(case)
    if statement["blocking_bills"]:
        raise Conflict(
            "bills_after_move_out",
            "Open bills start after the move-out date; terminate the lease on the move-out date "
            "first (the daily bill run then voids unpaid rent after it) or change the date.",
            field="move_out_date",
            bills=statement["blocking_bills"],
        )
    if selectors.ledger_fingerprint(case.lease) != before:
        raise Conflict(
            "ledger_changed",
            "The ledger changed while the statement was computed; try again.",
            field="statement",
        )
    return statement, before


def settlement_prepare(
    *, case: SettlementCase, by: User, expected_version: int | None = None
) -> SettlementCase:
    """Compute the final statement, store its snapshot, render, sign and archive its PDF."""
    access.require(by, "settlement.manage")
    case = SettlementCase.objects.select_related(
        "lease", "lease__customer", "lease__building", "lease__unit"
    ).get(pk=case.pk)
    if expected_version is not None and case.version != expected_version:
        raise _stale(case.version)
    if case.status not in PREPARABLE_STATUSES:
        raise _wrong_status("Inspect the unit before preparing the statement.")
    statement, fingerprint = _compute(case)
    now = clock.now()
    statement.update(
        case_id=case.pk,
        prepared_by=by.get_full_name() or by.username,
        prepared_at=now.isoformat(),
    )
    organization = Organization.objects.get(pk=case.organization_id)
    pdf = statement_pdf.statement_pdf(case, statement, organization)
    with transaction.atomic():
        locked = _locked(case, case.version)
        if locked.status not in PREPARABLE_STATUSES:
            raise _wrong_status("Inspect the unit before preparing the statement.")
        doc = document_archive(
            organization_id=locked.organization_id,
            kind=DocumentKind.SETTLEMENT_STATEMENT,
            title=f"退租结算单 {locked.lease.code} #{locked.pk}",
            content=pdf,
            signed=True,
            related=locked.lease,
            by=by,
        )
        before_status = locked.status
        fields = _statement_reset(locked)
        locked.statement = statement
        locked.statement_fingerprint = fingerprint
        locked.statement_document = doc
        locked.prepared_by = by
        locked.prepared_at = now
        locked.status = SettlementStatus.STATEMENT_READY
        locked.rejection_reason = ""
        _save(locked, [*fields, "status", "rejection_reason"])
        audit.record(
            action="settlement.prepare",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={
                "status": [before_status, locked.status],
                "statement_document": [None, doc.pk],
                "fingerprint": [None, fingerprint],
                "totals": statement["totals"],
            },
        )
    return locked


# Approve / reject ---------------------------------------------------------------------------


def settlement_approve(
    *, case: SettlementCase, by: User, expected_version: int | None = None
) -> SettlementCase:
    """A checker other than the preparer approves the statement, if the ledger is unchanged."""
    access.require(by, "settlement.approve")
    with transaction.atomic():
        case = _locked(case, expected_version)
        if case.status != SettlementStatus.STATEMENT_READY:
            raise _wrong_status("Only a prepared statement can be approved.")
        if case.prepared_by_id is None or case.prepared_by_id == by.pk:
            raise PreparerCannotApprove()
        if selectors.ledger_fingerprint(case.lease) != case.statement_fingerprint:
            raise Conflict(
                "stale_statement",
                "The ledger changed since the statement was prepared; prepare it again.",
                field="statement",
            )
        case.status = SettlementStatus.APPROVED
        case.approved_by = by
        case.approved_at = clock.now()
        _save(case, ["status", "approved_by", "approved_at"])
        audit.record(
            action="settlement.approve",
            obj=case,
            organization=case.organization_id,
            actor=by,
            changes={
                "status": [SettlementStatus.STATEMENT_READY, SettlementStatus.APPROVED],
                "approved_by": [None, by.pk],
                "fingerprint": case.statement_fingerprint,
            },
        )
    return case


def settlement_reject(
    *, case: SettlementCase, by: User, reason: Any, expected_version: int | None = None
) -> SettlementCase:
    """Send a prepared statement back with a reason; it is prepared again after changes."""
    access.require(by, "settlement.approve")
    text = v.text(reason, field="reason", max_length=300)
    with transaction.atomic():
        case = _locked(case, expected_version)
        if case.status != SettlementStatus.STATEMENT_READY:
            raise _wrong_status("Only a prepared statement can be rejected.")
        case.status = SettlementStatus.REJECTED
        case.rejection_reason = text
        _save(case, ["status", "rejection_reason"])
        audit.record(
            action="settlement.reject",
            obj=case,
            organization=case.organization_id,
            actor=by,
            changes={
                "status": [SettlementStatus.STATEMENT_READY, SettlementStatus.REJECTED],
                "rejection_reason": [None, text],
            },
        )
    return case


# Close --------------------------------------------------------------------------------------


def settlement_close(
    *,
    case: SettlementCase,
    by: User,
    refund_channel: str = "",
    refund_reference: str = "",
    expected_version: int | None = None,
) -> SettlementCase:
    """Execute the approved statement in one transaction.

    Damages become "other" charges due on the move-out date; an active lease is terminated on
    the move-out date; credit is applied; the deposit offsets what is owed; the rest of it is
    refunded; the unit's status is derived again. The result is checked against the approved
    statement, and any difference or failure rolls everything back.
    """
    access.require(by, "settlement.manage")
    channel = (
        v.choice(refund_channel, field="refund_channel", choices=PaymentChannel.choices)
        if refund_channel
        else ""
    )
    reference = v.text(refund_reference, field="refund_reference", max_length=64, required=False)
    with transaction.atomic():
        case = _locked(case, expected_version)
        if case.status != SettlementStatus.APPROVED:
            raise _wrong_status("Only an approved settlement can be closed.")
        statement = case.statement or {}
        totals = {k: Decimal(x) for k, x in statement.get("totals", {}).items()}
        move_out = case.move_out_date
        assert move_out is not None
        if move_out > clock.today():
            raise ValidationFailed(
                "not_moved_out",
                "The tenant moves out later; close the settlement on or after the move-out date.",
                field="move_out_date",
            )
        if totals["refund_to_tenant"] > 0 and not channel:
            raise ValidationFailed(
                "required", "Choose how the deposit is refunded.", field="refund_channel"
            )
        # The leasing services lock the unit and the lease themselves, in their order.
        lease = Lease.objects.get(pk=case.lease_id)
        if selectors.ledger_fingerprint(lease) != case.statement_fingerprint:
            raise Conflict(
                "stale_statement",
                "The ledger changed since the statement was prepared; prepare it again.",
                field="statement",
            )
        log: dict[str, Any] = {"status": [SettlementStatus.APPROVED, SettlementStatus.CLOSED]}
        if lease.status == LeaseStatus.ACTIVE:
            leasing_services.lease_terminate(
                lease=lease, by=by, on=move_out, reason=f"退租清算 #{case.pk}"
            )
            log["lease_terminated_on"] = move_out
        charges = []
        for item in case.items.filter(damage_amount__gt=0).order_by("position", "id"):
            bill = billing_services.charge_create(
                by=by,
                lease_id=lease.pk,
                kind=BillKind.OTHER,
                amount=item.damage_amount,
                due_date=move_out,
                description=f"损坏赔偿：{item.area} {item.item}"[:200],
            )
            charges.append(bill.pk)
        log["damage_bills"] = charges
        lease.refresh_from_db()
        billing_services.credit_apply_for_lease(lease=lease, by=by)
        offset = ZERO
        if totals["deposit_offset"] > 0:
            entries = billing_services.deposit_offset(lease=lease, by=by)
            offset = sum((e.amount for e in entries), ZERO)
        log["deposit_offset"] = offset
        if totals["refund_to_tenant"] > 0:
            refund = billing_services.deposit_refund_for_settlement(
                case=case,
                by=by,
                channel=channel,
                amount=totals["refund_to_tenant"],
                reference=reference,
                reason=f"退租清算 #{case.pk} 押金退还",
            )
            log["refund"] = [refund.pk, refund.amount]
        log["unit_status"] = leasing_services.unit_refresh_status(unit_id=lease.unit_id, by=by)
        owed, _bills = selectors.lease_owed(lease.pk)
        held = billing_services.deposit_balance(lease.pk)
        if (offset, owed, held) != (totals["deposit_offset"], totals["still_owed"], ZERO):
            raise Conflict(
                "ledger_mismatch",
                "The ledger after closing does not match the approved statement.",
                field="statement",
                expected={
                    "deposit_offset": str(totals["deposit_offset"]),
                    "still_owed": str(totals["still_owed"]),
                },
                actual={
                    "deposit_offset": str(offset),
                    "still_owed": str(owed),
                    "deposit_held": str(held),
                },
            )
        case.status = SettlementStatus.CLOSED
        case.closed_by = by
        case.closed_at = clock.now()
        _save(case, ["status", "closed_by", "closed_at"])
        log["still_owed"] = owed
        audit.record(
            action="settlement.close",
            obj=case,
            organization=case.organization_id,
            actor=by,
            changes=log,
        )
    return case


def settlement_cancel(
    *, case: SettlementCase, by: User, reason: Any, expected_version: int | None = None
) -> SettlementCase:
    """Cancel a case that is not closed (the lease may then get a new one)."""
    access.require(by, "settlement.manage")
    text = v.text(reason, field="reason", max_length=300)
    with transaction.atomic():
        case = _locked(case, expected_version)
        if case.status in FINISHED_STATUSES:
            raise _wrong_status("This settlement is already closed or cancelled.")
        before = case.status
        case.status = SettlementStatus.CANCELLED
        case.cancel_reason = text
        _save(case, ["status", "cancel_reason"])
        audit.record(
            action="settlement.cancel",
            obj=case,
            organization=case.organization_id,
            actor=by,
            changes={"status": [before, case.status], "cancel_reason": [None, text]},
        )
    return case


# Credit-report preparation export -----------------------------------------------------------

# Column headers of the export, translated under the "credit report" context.
CSV_HEADERS = [
    pgettext_lazy("credit report", "Customer"),
    pgettext_lazy("credit report", "ID type"),
    pgettext_lazy("credit report", "ID number"),
    pgettext_lazy("credit report", "Lease"),
    pgettext_lazy("credit report", "Unit"),
    pgettext_lazy("credit report", "Move-out date"),
    pgettext_lazy("credit report", "Amount owed"),
    pgettext_lazy("credit report", "Overdue since"),
    pgettext_lazy("credit report", "Bills"),
]


def credit_report_export(*, by: User, approval: Any = None) -> bytes | Any:
    """The debt facts of closed cases that still owe money, as CSV (UTF-8 with BOM); audited.

    ID numbers in full only for roles with ``pii.view``; masked otherwise. Guarded
    (``settlement.credit_report``): without an executing approval this returns the approval
    request; once approved, the file is archived and only its maker downloads it.
    """
    from anzu.billing.settlement.access import cases_for_user
    from anzu.risk.approvals.guard import guard

    access.require(by, "settlement.manage")
    rows = selectors.credit_report_rows(cases_for_user(by))
    pending = guard(
        "settlement.credit_report",
        by=by,
        args={},
        approval=approval,
        summary=f"{len(rows)}",
        diff=[
            ("rows", None, len(rows)),
            ("amount_owed", None, sum((r.owed for r in rows), ZERO)),
        ],
        amount=sum((r.owed for r in rows), ZERO),
    )
    if pending is not None:
        return pending
    full_pii = access.sees_pii(by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(h) for h in CSV_HEADERS])
    for row in rows:
        writer.writerow(credit_report_line(by, row))
    content = ("\ufeff" + out.getvalue()).encode("utf-8")
    with transaction.atomic():
        audit.record(
            action="settlement.credit_export",
            object_type="settlement.credit_report",
            object_id=clock.today().isoformat(),
            organization=access.org_id(by),
            actor=by,
            changes={
                "cases": [r.case.pk for r in rows],
                "rows": len(rows),
                "id_numbers": "full" if full_pii else "masked",
                "amount_owed": sum((r.owed for r in rows), ZERO),
            },
        )
    return content
