"""Writes of formal notices (催缴正式书面通知) and lawyer letters (律师函), and of their templates.

Templates are versioned rows per organization and kind: one draft, one published, the rest
retired. :func:`notice_issue` renders the published template for a lease's overdue bills, signs
the PDF with the organization's key, archives it and records a :class:`NoticeIssue`, inside the
caller's transaction. The dunning engine imports :func:`notice_issue` from here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import NotFound, ValidationFailed
from anzu.core import access, audit, counters
from anzu.core.models import Organization
from anzu.documents import versioning
from anzu.documents.choices import NoticeKind, NoticeTemplateStatus
from anzu.documents.models import NoticeIssue, NoticeTemplate
from anzu.documents.notice_text import amount_in_words
from anzu.documents.services import document_archive

if TYPE_CHECKING:
    from anzu.billing.models import Bill
    from anzu.core.models import User
    from anzu.leasing.models import Lease

__all__ = [
    "NotInTransaction",
    "NoticeIssue",
    "NoticeKind",
    "NoticeTemplate",
    "amount_in_words",
    "clean_template_text",
    "notice_issue",
    "notice_issue_manual",
    "notice_template_publish",
    "notice_template_save",
    "notice_templates_ensure_defaults",
    "published_template",
]

# Notice templates ---------------------------------------------------------------------------------

_TEMPLATE_FIELDS = ("title", "body", "consequences", "deadline_days", "status", "version")
MAX_BODY = 20000
MAX_CONSEQUENCES = 5000


class NotInTransaction(RuntimeError):
    """notice_issue was called outside a transaction: the notice could outlive a rollback."""


def notice_templates_ensure_defaults(*, organization_id: int) -> None:
    """Create the default template of each notice kind the organization has none of (v1, published).

    Idempotent and safe under concurrency: the unique (organization, kind, version) key lets one
    writer win; the others find its row.
    """
    from anzu.documents.notice_defaults import DEFAULTS

    have = set(
        NoticeTemplate.objects.filter(organization_id=organization_id)
        .values_list("kind", flat=True)
        .distinct()
    )
    missing = [kind for kind in NoticeKind.values if kind not in have]
    if not missing:
        return
    now = clock.now()
    with transaction.atomic():
        for kind in missing:
            default = DEFAULTS[kind]
            template = NoticeTemplate(
                organization_id=organization_id,
                kind=kind,
                version=1,
                title=default.title,
                body=default.body,
                consequences=default.consequences,
                deadline_days=default.deadline_days,
                status=NoticeTemplateStatus.PUBLISHED,
                published_at=now,
            )
            try:
                with transaction.atomic():
                    template.save()
            except IntegrityError:
                continue  # another request created it first
            audit.record(
                action="notice_template.create_default",
                obj=template,
                organization=organization_id,
                actor=None,
                changes={"kind": [None, kind], "version": [None, 1], "status": [None, "published"]},
            )


def published_template(*, organization_id: int, kind: str) -> NoticeTemplate:
    """The version of ``kind`` in force (created from the defaults on first use)."""
    notice_templates_ensure_defaults(organization_id=organization_id)
    template = NoticeTemplate.objects.filter(
        organization_id=organization_id, kind=kind, status=NoticeTemplateStatus.PUBLISHED
    ).first()
    if template is None:
        raise ValidationFailed(
            "no_published_template", f"No published template for {kind}.", field="kind"
        )
    return template


def clean_template_text(
    *, title: Any, body: Any, consequences: Any, deadline_days: Any
) -> dict[str, Any]:
    """Validate a template's fields (placeholders included); each error names its field."""
    from anzu.documents.notice_text import check_template

    cleaned: dict[str, Any] = {
        "title": v.text(title, field="title", max_length=200),
        "body": v.text(body, field="body", max_length=MAX_BODY),
        "consequences": v.text(
            consequences, field="consequences", max_length=MAX_CONSEQUENCES, required=False
        ),
        "deadline_days": v.integer(deadline_days, field="deadline_days", minimum=1, maximum=90),
    }
    check_template(body=cleaned["body"], consequences=cleaned["consequences"])
    return cleaned


def notice_template_save(
    *,
    kind: str,
    title: str,
    body: str,
    by: User,
    consequences: str | None = None,
    deadline_days: int | None = None,
) -> NoticeTemplate:
    """Save the draft of ``kind``: update the draft if there is one, else start a new version.

    A published version is never changed. ``consequences`` and ``deadline_days`` default to the
    published version's. Bad placeholders are refused naming the field; nothing is written.
    """
    access.require(by, "dunning.manage")
    organization_id = access.org_id(by)
    kind = v.choice(kind, field="kind", choices=NoticeKind.choices)
    # Validate what was given before anything (even the defaults) is written.
    clean_template_text(
        title=title,
        body=body,
        consequences=consequences or "",
        deadline_days=7 if deadline_days is None else deadline_days,
    )
    current = published_template(organization_id=organization_id, kind=kind)
    cleaned = clean_template_text(
        title=title,
        body=body,
        consequences=current.consequences if consequences is None else consequences,
        deadline_days=current.deadline_days if deadline_days is None else deadline_days,
    )
    return versioning.draft_save(
        NoticeTemplate,
        scope={"organization_id": organization_id, "kind": kind},
        cleaned=cleaned,
        fields=_TEMPLATE_FIELDS,
        by=by,
        action="notice_template",
        conflict_field="kind",
    )


def notice_template_publish(*, template: NoticeTemplate, by: User) -> NoticeTemplate:
    """Publish a draft; the version published before is retired. Issued notices keep theirs."""
    access.require(by, "dunning.manage")
    if template.organization_id != access.org_id(by):
        raise NotFound("notice template")
    return versioning.draft_publish(
        NoticeTemplate,
        template=template,
        scope={"organization_id": template.organization_id, "kind": template.kind},
        by=by,
        action="notice_template",
    )


# Issuing notices ----------------------------------------------------------------------------------


def _bill_snapshot(bill: Bill) -> dict[str, Any]:
    return {
        "id": bill.pk,
        "kind": bill.kind,
        "period_start": bill.period_start.isoformat(),
        "period_end": bill.period_end.isoformat(),
        "due_date": bill.due_date.isoformat(),
        "amount": str(bill.amount),
        "paid_amount": str(bill.paid_amount),
        "outstanding": str(bill.outstanding),
    }


def _clean_bills(lease: Lease, bills: Any) -> list[Bill]:
    """The bills, reloaded, that still have something outstanding (oldest due first)."""
    from anzu.billing.choices import BillStatus
    from anzu.billing.models import Bill

    try:
        bills = list(bills) if bills is not None else []
    except TypeError:
        bills = []
    if not bills:
        raise ValidationFailed(
            "required", "Give the overdue bills the notice is about.", field="bills"
        )
    if any(not isinstance(b, Bill) or b.lease_id != lease.pk for b in bills):
        raise ValidationFailed("invalid", "Every bill must belong to the lease.", field="bills")
    fresh = list(
        Bill.objects.filter(pk__in=[b.pk for b in bills], lease_id=lease.pk)
        .exclude(status=BillStatus.VOID)
        .order_by("due_date", "id")
    )
    fresh = [b for b in fresh if b.outstanding > 0]
    if not fresh:
        raise ValidationFailed(
            "nothing_due", "None of the bills has anything outstanding.", field="bills"
        )
    return fresh


def notice_issue(
    *,
    lease: Lease,
    kind: str,
    bills: list[Bill],
    idempotency_key: str,
    by: User | None,
    on: dt.date | None = None,
    extra: dict[str, Any] | None = None,
) -> NoticeIssue:
    """Issue a formal notice or lawyer letter about ``bills`` of ``lease``, inside the caller's
    transaction: render the published template, sign the PDF with the organization's key,
    archive it and record the notice (one ``notice.issue`` audit event).

    Idempotent per (organization, ``idempotency_key``): a key already used returns the notice
    issued with it and writes nothing. ``by=None`` is the system (the dunning engine).
    """
    from anzu.documents.notice_render import NUMBER_PREFIX, letter_pdf, notice_values
    from anzu.documents.notice_text import as_text
    from anzu.documents.pdf import sign_pdf
    from anzu.leasing.choices import LeaseStatus
    from anzu.leasing.models import Lease as LeaseModel

    if not connection.in_atomic_block:
        raise NotInTransaction(
            "notice_issue must run inside the caller's transaction (transaction.atomic)"
        )
    organization_id = lease.organization_id
    key = v.text(idempotency_key, field="idempotency_key", max_length=200)
    existing = NoticeIssue.objects.filter(
        organization_id=organization_id, idempotency_key=key
    ).first()
    if existing is not None:
        return existing
    if by is not None:
        if by.organization_id != organization_id:
            raise NotFound("lease", field="lease")
        access.require(by, "dunning.manage")
    kind = v.choice(kind, field="kind", choices=NoticeKind.choices)
    lease = LeaseModel.objects.select_related("project", "building", "unit", "customer").get(
        pk=lease.pk
    )
    if lease.status == LeaseStatus.VOID:
        raise ValidationFailed("invalid", "A void lease gets no notices.", field="lease")
    fresh = _clean_bills(lease, bills)
    if extra is not None and not isinstance(extra, Mapping):
        raise ValidationFailed("invalid", "Extra values must be an object.", field="extra")
    organization = Organization.objects.get(pk=organization_id)
    on = on or clock.today(organization.time_zone)
    template = published_template(organization_id=organization_id, kind=kind)
    total = sum((b.outstanding for b in fresh), Decimal("0.00"))

    with transaction.atomic():
        try:
            with transaction.atomic():
                issue = NoticeIssue.objects.create(
                    organization_id=organization_id,
                    lease=lease,
                    customer_id=lease.customer_id,
                    kind=kind,
                    template=template,
                    idempotency_key=key,
                    issued_on=on,
                    amount=total,
                    created_by=by,
                )
        except IntegrityError:
            # A concurrent call with the same key committed first.
            return NoticeIssue.objects.get(organization_id=organization_id, idempotency_key=key)
        sequence = counters.next_value(organization_id=organization_id, name=f"notice-{on.year}")
        number = f"{NUMBER_PREFIX[kind]}{on:%Y}-{sequence:06d}"
        values, rows, total = notice_values(
            organization=organization,
            lease=lease,
            bills=fresh,
            template=template,
            on=on,
            number=number,
            extra=extra,
        )
        pdf = letter_pdf(
            organization_name=organization.name,
            title=template.title,
            body=template.body,
            values=values,
            rows=rows,
            total=values["amount_due"],
        )
        signed = sign_pdf(pdf, organization=organization, reason=template.title)
        document = document_archive(
            organization_id=organization_id,
            kind=kind,
            title=f"{template.title} {number}",
            content=signed,
            signed=True,
            related=lease,
            by=by,
        )
        issue.number = number
        issue.document = document
        issue.context = {
            "values": values,
            "bills": [_bill_snapshot(b) for b in fresh],
            "template": {
                "id": template.pk,
                "version": template.version,
                "title": template.title,
                "deadline_days": template.deadline_days,
            },
            "extra": {str(k): as_text(val) for k, val in (extra or {}).items()},
        }
        issue.save(update_fields=["number", "document", "context"])
        audit.record(
            action="notice.issue",
            obj=issue,
            organization=organization_id,
            actor=by,
            changes={
                "kind": [None, kind],
                "number": [None, number],
                "lease": [None, lease.pk],
                "amount": [None, str(total)],
                "template_version": [None, template.version],
                "bills": [None, [b.pk for b in fresh]],
                "document": [None, document.pk],
                "idempotency_key": [None, key],
            },
        )
    return issue


def notice_issue_manual(*, lease: Lease, kind: str, by: User) -> NoticeIssue:
    """Issue a notice by hand for all the lease's open bills due before today."""
    from anzu.billing.choices import BillStatus
    from anzu.billing.models import Bill

    access.require(by, "dunning.manage")
    if lease.organization_id != access.org_id(by):
        raise NotFound("lease", field="lease")
    organization = Organization.objects.get(pk=lease.organization_id)
    today = clock.today(organization.time_zone)
    bills = list(Bill.objects.filter(lease=lease, status=BillStatus.OPEN, due_date__lt=today))
    if not bills:
        raise ValidationFailed(
            "no_overdue_bills", "This lease has no overdue bills.", field="lease"
        )
    with transaction.atomic():
        return notice_issue(
            lease=lease,
            kind=kind,
            bills=bills,
            idempotency_key=f"manual:{uuid.uuid4()}",
            by=by,
            on=today,
        )
