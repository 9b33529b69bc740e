"""Laying out a notice: its placeholder values, the letter as HTML, the PDF.

:func:`notice_values` computes every placeholder of the catalog for a lease and its overdue bills;
:func:`letter_pdf` renders ``documents/notice_letter.html`` (A4, CJK font) with WeasyPrint.
Signing and archiving are the services' business (:mod:`anzu.documents.services`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation

from anzu.common.money import fmt
from anzu.core.models import Organization
from anzu.documents.notice_text import (
    DERIVED,
    PLACEHOLDERS,
    BillRow,
    amount_in_words,
    as_text,
    bills_table_text,
    chinese_date,
    fill,
    layout,
)
from anzu.documents.pdf import render_pdf

LETTER_TEMPLATE = "documents/notice_letter.html"
NO_ACCOUNT = "（收款账户未配置，请与我方联系确认付款方式）"
NUMBER_PREFIX = {"formal_notice": "TZ", "lawyer_letter": "LS"}


def collection_account(organization: Organization) -> str:
    """Where tenants pay: the organization's own field if it has one, else the setting
    ``COLLECTION_ACCOUNT`` (environment variable ``ANZU_COLLECTION_ACCOUNT``).

    The value is free text (户名、开户行、账号); ``\\n`` (backslash, n) starts a new line.
    """
    value = str(getattr(organization, "collection_account", "") or "")
    if not value.strip():
        value = str(getattr(settings, "COLLECTION_ACCOUNT", "") or "")
    value = value.replace("\\n", "\n").strip()
    return value or NO_ACCOUNT


def unit_label(lease: Any) -> str:
    return f"{lease.project.name}{lease.building.name}{lease.unit.code}室"


def bill_rows(bills: Iterable[Any], *, on: dt.date) -> list[BillRow]:
    rows = []
    with translation.override("zh-hans"):
        for bill in bills:
            rows.append(
                BillRow(
                    kind=str(bill.get_kind_display()),
                    period=f"{bill.period_start:%Y-%m-%d}至{bill.period_end:%Y-%m-%d}",
                    due_date=f"{bill.due_date:%Y-%m-%d}",
                    amount=fmt(bill.amount),
                    paid=fmt(bill.paid_amount),
                    outstanding=fmt(bill.outstanding),
                    days_overdue=str(max(0, (on - bill.due_date).days)),
                )
            )
    return rows


def notice_values(
    *,
    organization: Organization,
    lease: Any,
    bills: list[Any],
    template: Any,
    on: dt.date,
    number: str,
    extra: Mapping[str, Any] | None = None,
) -> tuple[dict[str, str], list[BillRow], Decimal]:
    """Every placeholder's text for a notice about ``bills`` of ``lease`` issued ``on``.

    ``extra`` may override the placeholders not derived from the bills (e.g. ``consequences``).
    Returns the values, the bills table rows and the total outstanding.
    """
    total = sum((bill.outstanding for bill in bills), Decimal("0.00"))
    rows = bill_rows(bills, on=on)
    oldest = min(bill.due_date for bill in bills)
    values: dict[str, str] = {
        "organization_name": organization.name,
        "customer_name": lease.customer.name,
        "lease_code": lease.code,
        "unit_label": unit_label(lease),
        "amount_due": fmt(total),
        "amount_due_upper": amount_in_words(total),
        "bills_table": bills_table_text(rows),
        "overdue_days": str(max(0, (on - oldest).days)),
        "due_date": chinese_date(oldest),
        "deadline": chinese_date(on + dt.timedelta(days=template.deadline_days)),
        "pay_account": collection_account(organization),
        "issue_date": chinese_date(on),
        "notice_number": number,
        "consequences": "",
    }
    overrides = {
        name: as_text(value)
        for name, value in (extra or {}).items()
        if name in PLACEHOLDERS and name not in DERIVED
    }
    values.update(overrides)
    if "consequences" not in overrides:
        values["consequences"] = fill(template.consequences, values, field="consequences")
    return values, rows, total


def letter_pdf(
    *,
    organization_name: str,
    title: str,
    body: str,
    values: Mapping[str, str],
    rows: list[BillRow],
    total: str,
    sample: bool = False,
) -> bytes:
    """The letter as an unsigned PDF."""
    with translation.override("zh-hans"):
        return render_pdf(
            template_name=LETTER_TEMPLATE,
            context={
                "title": title,
                "organization_name": organization_name,
                "number": values.get("notice_number", ""),
                "issue_date": values.get("issue_date", ""),
                "blocks": layout(body, values),
                "rows": rows,
                "total": total,
                "sample": sample,
            },
        )


class _SampleBill:
    """A bill-shaped object for previews."""

    def __init__(self, kind: str, start: dt.date, end: dt.date, due: dt.date, amount: str) -> None:
        self.kind = kind
        self.period_start, self.period_end, self.due_date = start, end, due
        self.amount = Decimal(amount)
        self.paid_amount = Decimal("0.00")
        self.outstanding = self.amount

    def get_kind_display(self) -> str:
        from anzu.billing.choices import BillKind

        return str(BillKind(self.kind).label)


class _Named:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def sample_pdf(
    *,
    organization: Organization,
    title: str,
    body: str,
    consequences: str,
    deadline_days: int,
    on: dt.date,
) -> bytes:
    """A preview of a template filled with sample data, marked as a sample (not signed)."""
    lease = _Named(
        code="L2026-000123",
        customer=_Named(name="张三（示例）"),
        project=_Named(name="静安公寓"),
        building=_Named(name="1号楼"),
        unit=_Named(code="1203"),
    )
    first = on.replace(day=1) - dt.timedelta(days=1)
    start = first.replace(day=1)
    bills = [
        _SampleBill("rent", start, first, start + dt.timedelta(days=4), "3200.00"),
        _SampleBill("utility", start, first, start + dt.timedelta(days=9), "156.80"),
    ]
    template = _Named(consequences=consequences, deadline_days=deadline_days)
    values, rows, total = notice_values(
        organization=organization,
        lease=lease,
        bills=bills,  # type: ignore[arg-type]
        template=template,
        on=on,
        number=f"{NUMBER_PREFIX.get('formal_notice')}{on:%Y}-000000",
    )
    return letter_pdf(
        organization_name=organization.name,
        title=title,
        body=body,
        values=values,
        rows=rows,
        total=fmt(total),
        sample=True,
    )
