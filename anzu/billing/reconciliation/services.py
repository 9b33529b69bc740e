"""Writes of the reconciliation app: importing a bank statement, resolving its review queue.

An import is one transaction. The file is parsed and validated completely before anything is
written; a file already imported (same SHA-256 in the organization) is answered with the first
import; lines already known (same fingerprint) are skipped as duplicates, also when two clerks
import overlapping files at the same time (the unique constraints decide, not a prior read).
Matched credits are recorded through :func:`anzu.billing.services.payment_record`, which
allocates them oldest due first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from anzu.billing import services as billing_services
from anzu.billing.choices import PaymentChannel
from anzu.billing.models import Payment
from anzu.billing.reconciliation import matching, parsers
from anzu.billing.reconciliation.choices import Direction, LineStatus, MatchMethod
from anzu.billing.reconciliation.models import StatementImport, StatementLine
from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, DomainError, NotFound, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import User
from anzu.leasing import access as leasing_access

CAPABILITY = "reconciliation.manage"
CURRENCY = "CNY"

# Fixed messages of this module, listed for translation.
MESSAGES = [
    gettext_noop("This file was already imported."),
    gettext_noop("This line was already resolved."),
    gettext_noop("Choose a lease or a customer."),
    gettext_noop("Unknown lease."),
    gettext_noop("Unknown customer."),
    gettext_noop("Give a reason."),
]


@dataclass
class ImportResult:
    statement_import: StatementImport
    created: bool


def already_imported(existing: StatementImport) -> Conflict:
    return Conflict(
        "already_imported",
        "This file was already imported.",
        field="file",
        statement_import={
            "id": existing.pk,
            "file_name": existing.file_name,
            "created_at": existing.created_at.isoformat(),
        },
    )


def statement_import(*, by: User, file_name: str, data: bytes, account: str = "") -> ImportResult:
    """Import a bank statement file; returns the import and whether it is new.

    The same file again returns the first import (``created`` False) and changes nothing.
    Raises ``ValidationFailed`` (field ``file``, naming line and column) for a malformed file,
    with nothing written.
    """
    access.require(by, CAPABILITY)
    organization_id = access.org_id(by)
    file_name = v.text(file_name, field="file", max_length=255) or "statement"
    account = v.text(account, field="account", max_length=64, required=False)
    digest = hashlib.sha256(data).hexdigest()
    parsers.detect_format(file_name, len(data))
    existing = StatementImport.objects.filter(
        organization_id=organization_id, sha256=digest
    ).first()
    if existing is not None:
        return ImportResult(existing, False)
    parsed = parsers.parse_statement(file_name, data)
    account = parsers.normalize_account(account) or parsed.account
    fingerprints = parsers.fingerprints(account, parsed.lines)
    today = clock.today()
    with transaction.atomic():
        try:
            with transaction.atomic():
                imp = StatementImport.objects.create(
                    organization_id=organization_id,
                    file_name=file_name,
                    sha256=digest,
                    format=parsed.format,
                    account=account,
                    uploaded_by=by,
                )
        except IntegrityError:
            existing = StatementImport.objects.filter(
                organization_id=organization_id, sha256=digest
            ).first()
            if existing is None:
                raise
            return ImportResult(existing, False)
        StatementLine.objects.bulk_create(
            [
                StatementLine(
                    statement_import=imp,
                    organization_id=organization_id,
                    line_number=p.line_number,
                    booking_date=p.booking_date,
                    value_date=p.value_date,
                    amount=p.amount,
                    direction=p.direction,
                    currency=p.currency,
                    bank_reference=p.bank_reference,
                    payer_name=p.payer_name,
                    payer_account=p.payer_account,
                    memo=p.memo,
                    fingerprint=fp,
                    status=LineStatus.REVIEW,
                )
                # In fingerprint order: concurrent imports of overlapping files then take the
                # unique index's locks in the same order and cannot deadlock.
                for p, fp in sorted(
                    zip(parsed.lines, fingerprints, strict=True), key=lambda pair: pair[1]
                )
            ],
            ignore_conflicts=True,
        )
        lines = list(
            StatementLine.objects.filter(statement_import=imp).order_by("line_number", "id")
        )
        counts = {
            "matched": 0,
            "review": 0,
            "duplicates": len(parsed.lines) - len(lines),
            "ignored": 0,
        }
        recorded = _recorded_payments(organization_id, lines)
        matcher = matching.Matcher(organization_id=organization_id, today=today)
        matcher.prefetch(
            [
                (line.amount, line.memo, line.payer_name)
                for line in lines
                if line.direction == Direction.CREDIT and line.amount
            ]
        )
        matched: list[list[Any]] = []
        for line in lines:
            outcome = _settle_line(line, by=by, recorded=recorded, matcher=matcher)
            counts[outcome] += 1
            if line.payment_id is not None:
                matched.append([line.pk, line.payment_id, outcome])
        StatementLine.objects.bulk_update(
            lines,
            [
                "status",
                "match_method",
                "match_score",
                "reasons",
                "candidates",
                "lease",
                "customer",
                "payment",
                "note",
                "resolved_at",
            ],
        )
        StatementImport.objects.filter(pk=imp.pk).update(
            line_count=len(parsed.lines),
            matched_count=counts["matched"],
            review_count=counts["review"],
            duplicate_count=counts["duplicates"],
            ignored_count=counts["ignored"],
        )
        imp.refresh_from_db()
        audit.record(
            action="statement.import",
            obj=imp,
            organization=organization_id,
            actor=by,
            changes={
                "file_name": file_name,
                "sha256": digest,
                "format": parsed.format,
                "lines": len(parsed.lines),
                **counts,
                "payments": matched,
            },
        )
    return ImportResult(imp, True)


def _recorded_payments(organization_id: int, lines: list[StatementLine]) -> dict[str, Payment]:
    """Bank-transfer payments already recorded under the references of these lines."""
    references = {line.bank_reference for line in lines if line.bank_reference}
    if not references:
        return {}
    return {
        p.reference: p
        for p in Payment.objects.filter(
            organization_id=organization_id,
            channel=PaymentChannel.BANK_TRANSFER,
            reference__in=references,
        )
    }


def _link_existing(line: StatementLine, payment: Payment) -> str:
    line.status = LineStatus.RESOLVED
    line.match_method = MatchMethod.EXISTING_PAYMENT
    line.match_score = 100
    line.reasons = [{"code": "reference_already_recorded", "payment_id": payment.pk}]
    line.payment = payment
    line.lease_id = payment.lease_id
    line.customer_id = payment.customer_id
    line.resolved_at = clock.now()
    return "duplicates"


def _settle_line(
    line: StatementLine, *, by: User, recorded: dict[str, Payment], matcher: matching.Matcher
) -> str:
    """Decide one new line: ignored, already recorded, matched (payment recorded) or review."""
    if line.direction == Direction.DEBIT or line.amount == 0:
        line.status = LineStatus.IGNORED
        line.reasons = [{"code": "debit" if line.amount else "zero_amount"}]
        return "ignored"
    if line.currency != CURRENCY:
        line.status = LineStatus.IGNORED
        line.reasons = [{"code": "currency", "currency": line.currency}]
        return "ignored"
    if line.bank_reference and line.bank_reference in recorded:
        return _link_existing(line, recorded[line.bank_reference])
    decision = matching.decide(
        matcher.find(amount=line.amount, memo=line.memo, payer_name=line.payer_name)
    )
    line.candidates = [c.as_dict() for c in decision.candidates]
    line.reasons = decision.reasons
    chosen = decision.chosen
    if chosen is None:
        line.status = LineStatus.REVIEW
        line.match_score = decision.candidates[0].score if decision.candidates else 0
        return "review"
    try:
        with transaction.atomic():
            payment = billing_services.payment_record(
                by=by,
                channel=PaymentChannel.BANK_TRANSFER,
                amount=line.amount,
                lease_id=chosen.lease_id,
                received_at=line.booking_date,
                reference=line.bank_reference,
                payer_name=line.payer_name,
                note=f"statement line #{line.pk}",
            )
    except DomainError as err:
        existing = err.extra.get("existing_payment")
        if err.code == "duplicate_payment" and existing:
            recorded[line.bank_reference] = Payment.objects.get(pk=existing["id"])
            return _link_existing(line, recorded[line.bank_reference])
        line.status = LineStatus.REVIEW
        line.match_score = chosen.score
        line.reasons = [*decision.reasons, {"code": "payment_refused", "message": err.message}]
        return "review"
    if line.bank_reference:
        recorded[line.bank_reference] = payment
    line.status = LineStatus.MATCHED
    line.match_method = chosen.method
    line.match_score = chosen.score
    line.lease_id = chosen.lease_id
    line.customer_id = chosen.customer_id
    line.payment = payment
    line.resolved_at = clock.now()
    return "matched"


# The review queue --------------------------------------------------------------------------


def _locked_open_line(line: StatementLine) -> StatementLine:
    locked = StatementLine.objects.select_for_update().get(pk=line.pk)
    if locked.status != LineStatus.REVIEW:
        raise Conflict(
            "already_resolved",
            "This line was already resolved.",
            field="status",
            status_now=locked.status,
            payment_id=locked.payment_id,
        )
    return locked


def statement_line_assign(
    *,
    line: StatementLine,
    by: User,
    lease_id: Any = None,
    lease_code: str = "",
    customer_id: Any = None,
    note: str = "",
) -> StatementLine:
    """Record the line's payment for a lease (by id or code) or a customer; the line is resolved.

    409 ``already_resolved`` when the line is no longer in review; the payment's own refusals
    (duplicate reference 409, void lease 422…) pass through with nothing written.
    """
    access.require(by, CAPABILITY)
    access.require(by, "billing.write")
    note = v.text(note, field="note", max_length=300, required=False)
    lease_code = v.text(lease_code, field="lease_code", max_length=40, required=False)
    if lease_id in (None, "") and lease_code:
        lease = leasing_access.leases_for_user(by).filter(code=lease_code).first()
        if lease is None:
            raise ValidationFailed("not_found", "Unknown lease.", field="lease_code")
        lease_id = lease.pk
    if lease_id not in (None, ""):
        try:
            lease = leasing_access.lease_for_user(by, lease_id)
        except NotFound:
            raise ValidationFailed("not_found", "Unknown lease.", field="lease_id") from None
        lease_id, customer_id = lease.pk, lease.customer_id
    elif customer_id not in (None, ""):
        try:
            customer_id = leasing_access.customer_for_user(by, customer_id).pk
        except NotFound:
            raise ValidationFailed("not_found", "Unknown customer.", field="customer_id") from None
    else:
        raise ValidationFailed("required", "Choose a lease or a customer.", field="lease_id")
    with transaction.atomic():
        locked = _locked_open_line(line)
        payment = billing_services.payment_record(
            by=by,
            channel=PaymentChannel.BANK_TRANSFER,
            amount=locked.amount,
            lease_id=lease_id,
            customer_id=None if lease_id not in (None, "") else customer_id,
            received_at=locked.booking_date,
            reference=locked.bank_reference,
            payer_name=locked.payer_name,
            note=note or f"statement line #{locked.pk}",
        )
        locked.status = LineStatus.RESOLVED
        locked.match_method = MatchMethod.MANUAL
        locked.lease_id = lease_id if lease_id not in (None, "") else None
        locked.customer_id = int(customer_id)
        locked.payment = payment
        locked.note = note
        locked.resolved_by = by
        locked.resolved_at = clock.now()
        locked.save(
            update_fields=[
                "status",
                "match_method",
                "lease",
                "customer",
                "payment",
                "note",
                "resolved_by",
                "resolved_at",
            ]
        )
        audit.record(
            action="statement_line.assign",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={
                "status": [LineStatus.REVIEW.value, LineStatus.RESOLVED.value],
                "lease": locked.lease_id,
                "customer": locked.customer_id,
                "payment": payment.pk,
                "amount": locked.amount,
                "note": note,
            },
        )
    return locked


def statement_line_ignore(*, line: StatementLine, by: User, reason: str) -> StatementLine:
    """Take a line out of the review queue without a payment (e.g. a refund, a wrong account)."""
    access.require(by, CAPABILITY)
    reason = v.text(reason, field="reason", max_length=300, required=False)
    if not reason:
        raise ValidationFailed("required", "Give a reason.", field="reason")
    with transaction.atomic():
        locked = _locked_open_line(line)
        locked.status = LineStatus.IGNORED
        locked.note = reason
        locked.reasons = [*locked.reasons, {"code": "ignored_by_hand"}]
        locked.resolved_by = by
        locked.resolved_at = clock.now()
        locked.save(update_fields=["status", "note", "reasons", "resolved_by", "resolved_at"])
        audit.record(
            action="statement_line.ignore",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={
                "status": [LineStatus.REVIEW.value, LineStatus.IGNORED.value],
                "reason": reason,
            },
        )
    return locked
