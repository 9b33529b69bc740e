"""The review queue: assign a line to a lease or a customer, ignore it, and the refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anzu.billing import services as billing_services
from anzu.billing.models import Payment
from anzu.billing.reconciliation import access as reconciliation_access
from anzu.billing.reconciliation import services
from anzu.billing.reconciliation.models import StatementLine
from anzu.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from anzu.common.testing import make_user
from anzu.core.models import AuditEvent

from .helpers import csv_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(billed, finance) -> StatementLine:
    """A credit of 1000.00 from an unknown payer: in review, nothing matched."""
    services.statement_import(
        by=finance, file_name="s.csv", data=csv_file("2026-03-10,HX77,王五,,1000.00,转账")
    )
    line = StatementLine.objects.get()
    assert line.status == "review"
    return line


def test_assign_to_a_lease_records_the_payment(line, billed, finance):
    result = services.statement_line_assign(
        line=line, by=finance, lease_id=billed.pk, note="王五 is 李雷's employer"
    )
    assert (result.status, result.match_method, result.lease_id, result.customer_id) == (
        "resolved",
        "manual",
        billed.pk,
        billed.customer_id,
    )
    assert (result.resolved_by, result.note) == (finance, "王五 is 李雷's employer")
    payment = Payment.objects.get()
    assert (payment.lease_id, payment.amount, payment.reference, payment.payer_name) == (
        billed.pk,
        Decimal("1000.00"),
        "HX77",
        "王五",
    )
    assert result.payment_id == payment.pk
    event = AuditEvent.objects.get(action="statement_line.assign")
    assert event.object_id == str(line.pk)
    assert event.changes["status"] == ["review", "resolved"]
    assert event.changes["payment"] == payment.pk


def test_assign_by_lease_code(line, billed, finance):
    result = services.statement_line_assign(line=line, by=finance, lease_code="L2026-000001")
    assert result.lease_id == billed.pk


def test_assign_to_a_customer_without_lease(line, billed, finance):
    result = services.statement_line_assign(line=line, by=finance, customer_id=billed.customer_id)
    assert (result.status, result.lease_id, result.customer_id) == (
        "resolved",
        None,
        billed.customer_id,
    )
    assert Payment.objects.get().lease_id is None


def test_resolving_twice_is_a_conflict(line, billed, finance):
    services.statement_line_assign(line=line, by=finance, lease_id=billed.pk)
    stale = StatementLine.objects.get(pk=line.pk)
    stale.status = "review"  # a page opened before the first assignment
    with pytest.raises(Conflict) as exc:
        services.statement_line_assign(line=stale, by=finance, lease_id=billed.pk)
    assert (exc.value.code, exc.value.status) == ("already_resolved", 409)
    with pytest.raises(Conflict):
        services.statement_line_ignore(line=stale, by=finance, reason="x")
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="statement_line.").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({}, "lease_id", "required"),
        ({"lease_id": 999999}, "lease_id", "not_found"),
        ({"lease_code": "L1999-000001"}, "lease_code", "not_found"),
        ({"customer_id": 999999}, "customer_id", "not_found"),
        ({"lease_id": "x"}, "lease_id", "not_found"),
    ],
)
def test_bad_assignments_write_nothing(line, finance, kwargs, field, code):
    with pytest.raises(ValidationFailed) as exc:
        services.statement_line_assign(line=line, by=finance, **kwargs)
    assert (exc.value.field, exc.value.code) == (field, code)
    line.refresh_from_db()
    assert (line.status, line.payment_id) == ("review", None)
    assert not Payment.objects.exists()


def test_a_reference_recorded_meanwhile_is_refused(line, billed, finance):
    billing_services.payment_record(
        by=finance, channel="bank_transfer", amount="1000", lease_id=billed.pk, reference="HX77"
    )
    with pytest.raises(Conflict) as exc:
        services.statement_line_assign(line=line, by=finance, lease_id=billed.pk)
    assert (exc.value.code, exc.value.field) == ("duplicate_payment", "reference")
    line.refresh_from_db()
    assert line.status == "review"
    assert Payment.objects.count() == 1


def test_ignore_with_a_reason(line, finance):
    result = services.statement_line_ignore(line=line, by=finance, reason="转错账户，已退回")
    assert (result.status, result.note, result.resolved_by) == (
        "ignored",
        "转错账户，已退回",
        finance,
    )
    assert result.reasons[-1] == {"code": "ignored_by_hand"}
    event = AuditEvent.objects.get(action="statement_line.ignore")
    assert event.changes["status"] == ["review", "ignored"]
    assert not Payment.objects.exists()


def test_ignore_needs_a_reason(line, finance):
    with pytest.raises(ValidationFailed) as exc:
        services.statement_line_ignore(line=line, by=finance, reason="  ")
    assert (exc.value.field, exc.value.code) == ("reason", "required")
    line.refresh_from_db()
    assert line.status == "review"
    assert not AuditEvent.objects.filter(action="statement_line.ignore").exists()


def test_frontline_may_not_resolve(line, billed, org):
    frontline = make_user(org, "frontline")
    with pytest.raises(PermissionDenied):
        services.statement_line_assign(line=line, by=frontline, lease_id=billed.pk)
    with pytest.raises(PermissionDenied):
        services.statement_line_ignore(line=line, by=frontline, reason="x")


# Access helpers, one condition per test ----------------------------------------------------


def test_finance_sees_the_lines_of_the_org(line, finance):
    assert reconciliation_access.line_for_user(finance, line.pk) == line


def test_management_sees_them_too(line, manager):
    assert reconciliation_access.lines_for_user(manager).count() == 1


def test_customer_service_sees_nothing(line, org):
    assert not reconciliation_access.lines_for_user(make_user(org, "customer_service")).exists()


def test_another_organization_gets_404(line, other_org):
    outsider = make_user(other_org, "finance", username="outsider")
    with pytest.raises(NotFound):
        reconciliation_access.line_for_user(outsider, line.pk)
    with pytest.raises(NotFound):
        reconciliation_access.import_for_user(outsider, line.statement_import_id)
