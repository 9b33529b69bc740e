"""What a user may see of settlement cases: amounts hidden without ``amounts.view``, ID numbers
masked without ``pii.view``. The API, the pages and the credit-report export use these."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from anzu.billing.choices import BillKind
from anzu.billing.settlement.choices import ItemCondition
from anzu.billing.settlement.models import InspectionItem, SettlementCase
from anzu.common.crypto import mask_id_number
from anzu.core import access

_KIND_LABELS = dict(BillKind.choices)
_CONDITION_LABELS = dict(ItemCondition.choices)


def _person(user: Any) -> str | None:
    if user is None:
        return None
    return str(user.get_full_name() or user.username)


def present_item(show: bool, item: InspectionItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "area": item.area,
        "item": item.item,
        "condition": item.condition,
        "condition_label": str(item.get_condition_display()),
        "damage_amount": item.damage_amount if show else None,
        "note": item.note,
    }


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def present_statement(show: bool, statement: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored snapshot; every amount is hidden (None) for roles without ``amounts.view``."""
    if statement is None:
        return None
    lines = [
        {
            **line,
            "kind_label": str(_KIND_LABELS.get(line["kind"], line["kind"])),
            **{
                k: _dec(line[k]) if show else None for k in ("amount", "paid_amount", "outstanding")
            },
        }
        for line in statement.get("lines", [])
    ]
    damages = [
        {
            **d,
            "condition_label": str(_CONDITION_LABELS.get(d["condition"], d["condition"])),
            "amount": _dec(d["amount"]) if show else None,
        }
        for d in statement.get("damages", [])
    ]
    totals = {k: _dec(x) for k, x in statement.get("totals", {}).items()} if show else None
    return {
        **statement,
        "lines": lines,
        "damages": damages,
        "totals": totals,
        "amounts_hidden": not show,
    }


def present_case(user: Any, case: SettlementCase, *, detail: bool = False) -> dict[str, Any]:
    show = access.sees_amounts(user)
    data: dict[str, Any] = {
        "id": case.pk,
        "lease_id": case.lease_id,
        "lease_code": case.lease.code,
        "customer_id": case.customer_id,
        "customer_name": case.lease.customer.name,
        "project_id": case.project_id,
        "building_id": case.building_id,
        "unit_id": case.unit_id,
        "unit_label": f"{case.lease.building.name} {case.lease.unit.code}",
        "source": case.source,
        "source_label": str(case.get_source_display()),
        "reason": case.reason,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "move_out_date": case.move_out_date,
        "prepared_by": _person(case.prepared_by) if case.prepared_by_id else None,
        "prepared_at": case.prepared_at,
        "approved_by": _person(case.approved_by) if case.approved_by_id else None,
        "approved_at": case.approved_at,
        "rejection_reason": case.rejection_reason,
        "cancel_reason": case.cancel_reason,
        "closed_at": case.closed_at,
        "statement_document_id": case.statement_document_id,
        "still_owed": None,
        "refund_to_tenant": None,
        "version": case.version,
        "amounts_hidden": not show,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }
    if show and case.statement:
        data["still_owed"] = _dec(case.statement["totals"]["still_owed"])
        data["refund_to_tenant"] = _dec(case.statement["totals"]["refund_to_tenant"])
    if detail:
        data["items"] = [present_item(show, i) for i in case.items.all()]
        data["statement"] = present_statement(show, case.statement)
    return data


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def credit_report_line(user: Any, row: Any) -> list[str]:
    """One CSV row of the credit-report preparation export."""
    case = row.case
    customer = case.customer
    show = access.sees_amounts(user)
    id_number = customer.id_number if access.sees_pii(user) else mask_id_number(customer.id_number)
    bills = "; ".join(
        f"#{b.pk} {_KIND_LABELS.get(b.kind, b.kind)} {b.period_start:%Y-%m-%d}~{b.period_end:%Y-%m-%d}"
        + (f" {b.amount - b.paid_amount}" if show else "")
        for b in row.bills
    )
    return [
        _cell(customer.name),
        str(customer.get_id_type_display()),
        _cell(id_number),
        _cell(case.lease.code),
        _cell(f"{case.building.name} {case.unit.code}"),
        case.move_out_date.isoformat() if case.move_out_date else "",
        str(row.owed) if show else _("hidden"),
        row.overdue_since.isoformat(),
        bills,
    ]
