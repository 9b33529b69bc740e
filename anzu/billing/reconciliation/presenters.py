"""What a user may see of statement imports and lines: amounts by role, payer accounts masked.

The API and the pages both render these dictionaries. Amounts are ``None`` without
``amounts.view``; the payer's account number is masked without ``pii.view``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from anzu.billing.access import sees_amounts
from anzu.billing.reconciliation.choices import MatchMethod
from anzu.billing.reconciliation.models import StatementImport, StatementLine
from anzu.common.crypto import mask_id_number
from anzu.core import access

METHOD_LABELS = {
    "reference": MatchMethod.REFERENCE.label,
    "payer_amount": MatchMethod.PAYER_AMOUNT.label,
    "existing_payment": MatchMethod.EXISTING_PAYMENT.label,
    "manual": MatchMethod.MANUAL.label,
}


def _money(show: bool, value: Any) -> Any:
    return value if show else None


def reason_text(reason: dict[str, Any]) -> str:
    """A stored reason (``{"code", ...}``) in the active language."""
    code = reason.get("code", "")
    texts: dict[str, Any] = {
        "lease_code_in_memo": lambda: (
            _("Lease code %(code)s in the memo") % {"code": reason.get("lease_code", "")}
        ),
        "bill_in_memo": lambda: _("Bill #%(bill)s in the memo") % {"bill": reason.get("bill_id")},
        "payer_bill_amount": lambda: (
            _("Payer is the customer; amount equals the outstanding amount of bill #%(bill)s")
            % {"bill": reason.get("bill_id")}
        ),
        "payer_due_total": lambda: (
            _("Payer is the customer; amount equals the lease's open bills due by %(date)s")
            % {"date": reason.get("due_by", "")}
        ),
        "payer_name": lambda: _("Payer name equals the customer's name"),
        "bill_amount": lambda: (
            _("Amount only: equals the outstanding amount of bill #%(bill)s")
            % {"bill": reason.get("bill_id")}
        ),
        "due_total": lambda: (
            _("Amount only: equals the lease's open bills due by %(date)s")
            % {"date": reason.get("due_by", "")}
        ),
        "single_candidate": lambda: (
            _("Best candidate, score %(score)s") % {"score": reason.get("score")}
        ),
        "ambiguous": lambda: (
            _("%(count)s candidates reach the threshold") % {"count": reason.get("count")}
        ),
        "below_threshold": lambda: (
            _("No candidate reaches the threshold of %(threshold)s")
            % {"threshold": reason.get("threshold")}
        ),
        "no_candidate": lambda: _("Nothing matches"),
        "payment_refused": lambda: (
            _("The payment was refused: %(message)s")
            % {"message": _(str(reason.get("message", "")))}
        ),
        "reference_already_recorded": lambda: (
            _("The bank reference was already recorded as payment #%(payment)s")
            % {"payment": reason.get("payment_id")}
        ),
        "debit": lambda: _("Debit (money out)"),
        "zero_amount": lambda: _("Zero amount"),
        "currency": lambda: (
            _("Currency %(currency)s is not CNY") % {"currency": reason.get("currency", "")}
        ),
        "ignored_by_hand": lambda: _("Ignored by hand"),
    }
    text = texts.get(code)
    return str(text()) if text is not None else str(code)


def present_import(statement: StatementImport) -> dict[str, Any]:
    return {
        "id": statement.pk,
        "file_name": statement.file_name,
        "sha256": statement.sha256,
        "format": statement.format,
        "format_label": str(statement.get_format_display()),
        "account": statement.account,
        "uploaded_by": statement.uploaded_by.username if statement.uploaded_by else None,
        "created_at": statement.created_at,
        "counts": statement.counts(),
    }


def present_candidate(candidate: dict[str, Any], labels: dict[str, Any]) -> dict[str, Any]:
    lease = labels["leases"].get(candidate.get("lease_id")) or {}
    return {
        "lease_id": candidate.get("lease_id"),
        "lease_code": lease.get("code"),
        "unit": lease.get("unit"),
        "customer_id": candidate.get("customer_id"),
        "customer_name": labels["customers"].get(candidate.get("customer_id")),
        "method": candidate.get("method", ""),
        "score": candidate.get("score", 0),
        "reasons": [reason_text(r) for r in candidate.get("reasons", [])],
    }


def present_line(
    user: Any,
    line: StatementLine,
    *,
    labels: dict[str, Any],
    show: bool | None = None,
    pii: bool | None = None,
) -> dict[str, Any]:
    show = sees_amounts(user) if show is None else show
    pii = access.sees_pii(user) if pii is None else pii
    lease = labels["leases"].get(line.lease_id) or {}
    return {
        "id": line.pk,
        "statement_id": line.statement_import_id,
        "line_number": line.line_number,
        "booking_date": line.booking_date,
        "value_date": line.value_date,
        "amount": _money(show, line.amount),
        "direction": line.direction,
        "direction_label": str(line.get_direction_display()),
        "currency": line.currency,
        "bank_reference": line.bank_reference,
        "payer_name": line.payer_name,
        "payer_account": line.payer_account if pii else mask_id_number(line.payer_account or ""),
        "memo": line.memo,
        "status": line.status,
        "status_label": str(line.get_status_display()),
        "match_method": line.match_method,
        "match_method_label": str(METHOD_LABELS.get(line.match_method, "")),
        "match_score": line.match_score,
        "reasons": [reason_text(r) for r in line.reasons],
        "candidates": [present_candidate(c, labels) for c in line.candidates],
        "lease_id": line.lease_id,
        "lease_code": lease.get("code"),
        "customer_id": line.customer_id,
        "customer_name": labels["customers"].get(line.customer_id),
        "payment_id": line.payment_id,
        "note": line.note,
        "resolved_at": line.resolved_at,
        "amounts_hidden": not show,
    }
