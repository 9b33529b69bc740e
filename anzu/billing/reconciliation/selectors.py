"""Reads of the reconciliation app: imports, their lines, the review queue, candidate labels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from anzu.billing.access import sees_amounts
from anzu.billing.reconciliation import access as reconciliation_access
from anzu.billing.reconciliation.choices import LineStatus
from anzu.billing.reconciliation.models import StatementImport, StatementLine
from anzu.billing.reconciliation.presenters import present_line
from anzu.core import access
from anzu.leasing.models import Customer, Lease


def import_list(user: Any) -> QuerySet[StatementImport]:
    return (
        reconciliation_access.imports_for_user(user)
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")
    )


def import_lines(
    user: Any, statement: StatementImport, *, status: str = ""
) -> QuerySet[StatementLine]:
    qs = reconciliation_access.lines_for_user(user).filter(statement_import=statement)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("line_number", "id")


def review_queue(user: Any) -> QuerySet[StatementLine]:
    return (
        reconciliation_access.lines_for_user(user)
        .filter(status=LineStatus.REVIEW)
        .order_by("booking_date", "id")
    )


def labels_for(lines: Iterable[StatementLine]) -> dict[str, Any]:
    """Lease codes, units and customer names of the lines and their candidates (two queries)."""
    lease_ids: set[int] = set()
    customer_ids: set[int] = set()
    for line in lines:
        if line.lease_id:
            lease_ids.add(line.lease_id)
        if line.customer_id:
            customer_ids.add(line.customer_id)
        for candidate in line.candidates:
            if candidate.get("lease_id"):
                lease_ids.add(int(candidate["lease_id"]))
            if candidate.get("customer_id"):
                customer_ids.add(int(candidate["customer_id"]))
    leases = {
        pk: {"code": code, "unit": f"{building} {unit}"}
        for pk, code, building, unit in Lease.objects.filter(pk__in=lease_ids).values_list(
            "id", "code", "building__name", "unit__code"
        )
    }
    customers = dict(Customer.objects.filter(pk__in=customer_ids).values_list("id", "name"))
    return {"leases": leases, "customers": customers}


def present_lines(user: Any, lines: list[StatementLine]) -> list[dict[str, Any]]:
    labels = labels_for(lines)
    show = sees_amounts(user)
    pii = access.sees_pii(user)
    return [present_line(user, line, labels=labels, show=show, pii=pii) for line in lines]
