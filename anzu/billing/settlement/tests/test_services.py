"""Settlement services: statement arithmetic, idempotent open, four eyes, stale ledger, close."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError

from anzu.billing import services as billing_services
from anzu.billing.generation import bills_generate
from anzu.billing.models import Bill, DepositEntry, Refund
from anzu.billing.settlement import selectors, services
from anzu.billing.settlement.models import InspectionItem, SettlementCase
from anzu.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from anzu.common.testing import OrganizationFactory, make_user
from anzu.core.models import AuditEvent
from anzu.documents.models import Document
from anzu.portfolio.models import Unit

pytestmark = pytest.mark.django_db
D = dt.date

DAMAGES = [
    {
        "area": "客厅",
        "item": "墙面",
        "condition": "damaged",
        "damage_amount": "450.50",
        "note": "划痕",
    },
    {"area": "卧室", "item": "空调遥控器", "condition": "ok", "damage_amount": "", "note": ""},
]


def totals(case: SettlementCase) -> dict[str, str]:
    case.refresh_from_db()
    assert case.statement is not None
    return case.statement["totals"]


def ready(lease, finance, items=DAMAGES) -> SettlementCase:
    """Open, inspect and prepare (by finance) a case moving out on 2026-03-31."""
    case = services.settlement_open(lease=lease, by=finance, move_out_date=D(2026, 3, 31))
    case = services.settlement_inspect(case=case, by=finance, items=items)
    return services.settlement_prepare(case=case, by=finance)


@pytest.fixture
def all_paid(billed, finance):
    """February and March paid too: nothing owed but the damages."""
    billing_services.payment_record(
        by=finance, lease_id=billed.pk, channel="wechat_pay", amount="6400.00", reference="W-2"
    )
    return billed


# Statement arithmetic ----------------------------------------------------------------------


def test_statement_when_the_tenant_still_owes(billed, finance):
    billing_services.charge_create(
        by=finance, lease_id=billed.pk, kind="utility", amount="120.35", due_date="2026-03-20"
    )
    billing_services.charge_create(
        by=finance, lease_id=billed.pk, kind="property_fee", amount="150.00", due_date="2026-03-01"
    )
    case = ready(billed, finance)
    assert totals(case) == {
        "rent": "6400.00",
        "late_fee": "0.00",
        "utility": "120.35",
        "property_fee": "150.00",
        "other": "0.00",
        "damages": "450.50",
        "charges": "7120.85",
        "credit": "0.00",
        "credit_applied": "0.00",
        "credit_to_deposit": "0.00",
        "credit_left": "0.00",
        "total_owed": "7120.85",
        "deposit_held": "3200.00",
        "unpaid_deposit": "0.00",
        "deposit_offset": "3200.00",
        "refund_to_tenant": "0.00",
        "still_owed": "3920.85",
    }
    assert [(line["kind"], line["outstanding"]) for line in case.statement["lines"]] == [
        ("rent", "3200.00"),
        ("rent", "3200.00"),
        ("property_fee", "150.00"),
        ("utility", "120.35"),
    ]
    assert case.status == "statement_ready"
    assert case.prepared_by == finance
    assert len(case.statement_fingerprint) == 64


def test_statement_when_the_tenant_gets_a_refund(all_paid, finance):
    case = ready(all_paid, finance)
    t = totals(case)
    assert (t["charges"], t["total_owed"], t["deposit_held"]) == ("450.50", "450.50", "3200.00")
    assert (t["deposit_offset"], t["refund_to_tenant"], t["still_owed"]) == (
        "450.50",
        "2749.50",
        "0.00",
    )
    assert case.statement["lines"] == []
    assert case.statement["damages"][0] == {
        "area": "客厅",
        "item": "墙面",
        "condition": "damaged",
        "amount": "450.50",
        "note": "划痕",
    }


def test_statement_uses_unallocated_credit_before_the_deposit(all_paid, finance):
    # 500 paid in advance: credit, applied to the damages first.
    billing_services.payment_record(
        by=finance, lease_id=all_paid.pk, channel="cash", amount="500.00"
    )
    t = totals(ready(all_paid, finance))
    assert (t["credit"], t["credit_applied"], t["credit_left"], t["total_owed"]) == (
        "500.00",
        "450.50",
        "49.50",
        "0.00",
    )
    assert (t["deposit_offset"], t["refund_to_tenant"], t["still_owed"]) == (
        "0.00",
        "3200.00",
        "0.00",
    )


def test_bills_after_the_move_out_date_block_the_statement(billed, finance):
    bills_generate(through=D(2026, 4, 30))  # April's rent (period starts 04-01) exists
    case = services.settlement_open(lease=billed, by=finance, move_out_date=D(2026, 3, 31))
    case = services.settlement_inspect(case=case, by=finance, items=[])
    april = Bill.objects.get(lease=billed, kind="rent", period_start=D(2026, 4, 1))
    with pytest.raises(Conflict) as err:
        services.settlement_prepare(case=case, by=finance)
    assert (err.value.code, err.value.field, err.value.extra["bills"]) == (
        "bills_after_move_out",
        "move_out_date",
        [april.pk],
    )
    case.refresh_from_db()
    assert (case.status, case.statement) == ("inspected", None)


# Open ---------------------------------------------------------------------------------------


def test_open_is_idempotent_and_the_system_may_open(billed, finance):
    first = services.settlement_open(lease=billed, by=None, source="dunning", reason="逾期14天")
    second = services.settlement_open(lease=billed, by=finance)
    assert first.pk == second.pk
    assert SettlementCase.objects.filter(lease=billed).count() == 1
    assert (first.source, first.status, first.move_out_date, first.opened_by) == (
        "dunning",
        "open",
        None,
        None,
    )
    event = AuditEvent.objects.get(action="settlement.open")
    assert (event.actor_id, event.actor_label, event.object_id) == (None, "system", str(first.pk))


def test_open_after_a_concurrent_insert_returns_the_winner(billed, finance, monkeypatch):
    winner = services.settlement_open(lease=billed, by=finance)
    real = services._active_case
    calls = []

    def miss_once(lease_id):
        calls.append(lease_id)
        return None if len(calls) == 1 else real(lease_id)

    monkeypatch.setattr(services, "_active_case", miss_once)
    again = services.settlement_open(lease=billed, by=finance)
    assert again.pk == winner.pk
    assert len(calls) == 2  # the insert hit the unique constraint, then the winner was read
    assert SettlementCase.objects.count() == 1


def test_a_new_case_may_open_after_cancel(billed, finance):
    case = services.settlement_open(lease=billed, by=finance)
    services.settlement_cancel(case=case, by=finance, reason="租客续租")
    assert services.settlement_open(lease=billed, by=finance).pk != case.pk


def test_unique_constraint_holds_in_the_database(billed, finance):
    case = services.settlement_open(lease=billed, by=finance)
    duplicate = SettlementCase(
        organization_id=case.organization_id,
        lease=billed,
        customer_id=case.customer_id,
        project_id=case.project_id,
        building_id=case.building_id,
        unit_id=case.unit_id,
    )
    with pytest.raises(IntegrityError):
        duplicate.save()


def test_open_refuses_other_org_and_frontline(billed, org):
    outsider = make_user(OrganizationFactory(), "finance", username="outsider")
    with pytest.raises(NotFound):
        services.settlement_open(lease=billed, by=outsider)
    with pytest.raises(PermissionDenied):
        services.settlement_open(lease=billed, by=make_user(org, "frontline"))
    assert not SettlementCase.objects.exists()


def test_open_refuses_a_move_out_date_after_the_lease(billed, finance):
    with pytest.raises(ValidationFailed) as err:
        services.settlement_open(lease=billed, by=finance, move_out_date=D(2027, 1, 1))
    assert (err.value.code, err.value.field) == ("invalid", "move_out_date")
    assert not SettlementCase.objects.exists()


# Bad input ----------------------------------------------------------------------------------


def test_negative_damage_names_the_field_and_writes_nothing(billed, finance):
    case = services.settlement_open(lease=billed, by=finance, move_out_date=D(2026, 3, 31))
    bad = [DAMAGES[1], {**DAMAGES[0], "damage_amount": "-1.00"}]
    with pytest.raises(ValidationFailed) as err:
        services.settlement_inspect(case=case, by=finance, items=bad)
    assert (err.value.code, err.value.field) == ("negative", "items.1.damage_amount")
    case.refresh_from_db()
    assert (case.status, case.version) == ("open", 1)
    assert not InspectionItem.objects.exists()
    assert not AuditEvent.objects.filter(action="settlement.inspect").exists()


def test_damage_on_an_item_in_good_condition_is_refused(billed, finance):
    case = services.settlement_open(lease=billed, by=finance)
    with pytest.raises(ValidationFailed) as err:
        services.settlement_inspect(
            case=case,
            by=finance,
            items=[{"area": "厨房", "item": "灶台", "condition": "ok", "damage_amount": "10"}],
        )
    assert (err.value.code, err.value.field) == ("damage_on_ok_item", "items.0.damage_amount")


def test_reject_needs_a_reason(billed, finance, manager):
    case = ready(billed, finance)
    with pytest.raises(ValidationFailed) as err:
        services.settlement_reject(case=case, by=manager, reason="  ")
    assert (err.value.code, err.value.field) == ("required", "reason")
    case.refresh_from_db()
    assert (case.status, case.rejection_reason) == ("statement_ready", "")


def test_stale_version_is_refused(billed, finance):
    case = services.settlement_open(lease=billed, by=finance)
    with pytest.raises(Conflict) as err:
        services.settlement_inspect(case=case, by=finance, items=[], expected_version=7)
    assert (err.value.code, err.value.field, err.value.extra) == (
        "stale",
        "version",
        {"current_version": 1},
    )


# Four eyes and the stale ledger ------------------------------------------------------------


def test_the_preparer_cannot_approve_even_as_superuser_admin(billed, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    case = ready(billed, admin_user)
    with pytest.raises(services.PreparerCannotApprove) as err:
        services.settlement_approve(case=case, by=admin_user)
    assert (err.value.status, err.value.code, err.value.field) == (
        403,
        "preparer_cannot_approve",
        "approved_by",
    )
    case.refresh_from_db()
    assert (case.status, case.approved_by) == ("statement_ready", None)


def test_finance_may_prepare_but_not_approve(billed, finance, org):
    case = ready(billed, make_user(org, "management", username="m2"))
    with pytest.raises(PermissionDenied):
        services.settlement_approve(case=case, by=finance)


def test_approval_after_a_new_payment_is_refused_as_stale(billed, finance, manager):
    case = ready(billed, finance)
    billing_services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="100.00")
    with pytest.raises(Conflict) as err:
        services.settlement_approve(case=case, by=manager)
    assert (err.value.status, err.value.code, err.value.field) == (
        409,
        "stale_statement",
        "statement",
    )
    case.refresh_from_db()
    assert case.status == "statement_ready"
    # Prepared again, the new payment is in the statement and approval goes through.
    case = services.settlement_prepare(case=case, by=finance)
    assert totals(case)["rent"] == "6300.00"
    assert services.settlement_approve(case=case, by=manager).status == "approved"


def test_rejected_statement_is_prepared_again_after_changes(billed, finance, manager):
    case = ready(billed, finance)
    case = services.settlement_reject(case=case, by=manager, reason="墙面金额需附照片")
    assert (case.status, case.rejection_reason) == ("rejected", "墙面金额需附照片")
    case = services.settlement_inspect(
        case=case, by=finance, items=[{**DAMAGES[0], "damage_amount": "300.00"}]
    )
    assert (case.status, case.statement) == ("inspected", None)
    case = services.settlement_prepare(case=case, by=finance)
    assert (case.status, case.rejection_reason) == ("statement_ready", "")
    assert totals(case)["damages"] == "300.00"


def test_checklist_is_frozen_once_approved(billed, finance, manager):
    case = services.settlement_approve(case=ready(billed, finance), by=manager)
    with pytest.raises(Conflict) as err:
        services.settlement_inspect(case=case, by=finance, items=[])
    assert (err.value.code, err.value.field) == ("wrong_status", "status")


# Close --------------------------------------------------------------------------------------


def test_close_executes_the_statement_when_the_tenant_owes(billed, finance, manager, portfolio):
    case = services.settlement_approve(case=ready(billed, finance), by=manager)
    case = services.settlement_close(case=case, by=finance)
    billed.refresh_from_db()
    assert (case.status, case.closed_by) == ("closed", finance)
    assert (billed.status, billed.terminated_on) == ("terminated", D(2026, 3, 31))
    damage = Bill.objects.get(lease=billed, kind="other")
    assert (damage.amount, damage.due_date, damage.description, damage.status) == (
        Decimal("450.50"),
        D(2026, 3, 31),
        "损坏赔偿：客厅 墙面",
        "open",
    )
    offsets = DepositEntry.objects.filter(lease=billed, kind="offset").order_by("id")
    assert [(e.bill.period_start, e.amount) for e in offsets] == [
        (D(2026, 2, 1), Decimal("3200.00"))
    ]
    assert billing_services.deposit_balance(billed.pk) == Decimal("0.00")
    assert not Refund.objects.exists()
    assert selectors.lease_owed(billed.pk)[0] == Decimal("3650.50")
    assert Unit.objects.get(pk=portfolio["u1"].pk).status == "vacant"
    close = AuditEvent.objects.get(action="settlement.close")
    assert close.actor_id == finance.pk
    assert close.changes["lease_terminated_on"] == "2026-03-31"
    assert close.changes["still_owed"] == "3650.50"


def test_close_refunds_the_rest_of_the_deposit(all_paid, finance, manager, portfolio):
    case = services.settlement_approve(case=ready(all_paid, finance), by=manager)
    services.settlement_close(
        case=case, by=finance, refund_channel="bank_transfer", refund_reference="TR-88"
    )
    refund = Refund.objects.get()
    assert (refund.kind, refund.amount, refund.channel, refund.reference) == (
        "deposit",
        Decimal("2749.50"),
        "bank_transfer",
        "TR-88",
    )
    assert billing_services.deposit_balance(all_paid.pk) == Decimal("0.00")
    assert Bill.objects.get(lease=all_paid, kind="other").status == "paid"
    assert selectors.lease_owed(all_paid.pk)[0] == Decimal("0.00")
    assert Unit.objects.get(pk=portfolio["u1"].pk).status == "vacant"


def _ledger_state(lease):
    return (
        list(Bill.objects.filter(lease=lease).values_list("id", "status", "paid_amount")),
        list(DepositEntry.objects.filter(lease=lease).values_list("id", "kind", "amount")),
        Refund.objects.count(),
        AuditEvent.objects.count(),
    )


def test_close_is_one_transaction_a_failing_step_changes_nothing(
    all_paid, finance, manager, portfolio, monkeypatch
):
    case = services.settlement_approve(case=ready(all_paid, finance), by=manager)
    before = _ledger_state(all_paid)

    def bank_down(**kwargs):
        raise RuntimeError("refund channel unavailable")

    monkeypatch.setattr(billing_services, "deposit_refund_for_settlement", bank_down)
    with pytest.raises(RuntimeError):
        services.settlement_close(case=case, by=finance, refund_channel="bank_transfer")
    all_paid.refresh_from_db()
    case.refresh_from_db()
    assert _ledger_state(all_paid) == before
    assert (all_paid.status, all_paid.terminated_on) == ("active", None)
    assert (case.status, case.closed_at) == ("approved", None)
    assert Unit.objects.get(pk=portfolio["u1"].pk).status == "occupied"


def test_no_refund_before_approval(all_paid, finance):
    case = ready(all_paid, finance)
    with pytest.raises(Conflict) as err:
        services.settlement_close(case=case, by=finance, refund_channel="cash")
    assert (err.value.code, err.value.field) == ("wrong_status", "status")
    assert not Refund.objects.exists()


def test_close_with_a_refund_needs_a_channel(all_paid, finance, manager):
    case = services.settlement_approve(case=ready(all_paid, finance), by=manager)
    before = _ledger_state(all_paid)
    with pytest.raises(ValidationFailed) as err:
        services.settlement_close(case=case, by=finance)
    assert (err.value.code, err.value.field) == ("required", "refund_channel")
    assert _ledger_state(all_paid) == before


def test_close_refuses_when_the_ledger_changed_after_approval(billed, finance, manager):
    case = services.settlement_approve(case=ready(billed, finance), by=manager)
    billing_services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="50")
    with pytest.raises(Conflict) as err:
        services.settlement_close(case=case, by=finance)
    assert err.value.code == "stale_statement"
    billed.refresh_from_db()
    assert billed.status == "active"


# The statement PDF ---------------------------------------------------------------------------


def test_statement_pdf_is_chinese_signed_and_archived(billed, finance, org, real_pdf):
    from pypdf import PdfReader

    from anzu.documents.pdf import verify_pdf
    from anzu.documents.services import document_content

    case = ready(billed, finance)
    doc = Document.objects.get(pk=case.statement_document_id)
    assert (doc.kind, doc.signed, doc.related_type, doc.related_id) == (
        "settlement_statement",
        True,
        "leasing.lease",
        str(billed.pk),
    )
    content = document_content(doc)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "退租结算单" in text
    assert "李雷" in text
    assert "¥3,650.50" in text
    assert "客厅" in text
    check = verify_pdf(content, organization=org)
    assert (check.signed, check.intact, check.valid, check.trusted, check.bottom_line) == (
        True,
        True,
        True,
        True,
        True,
    )


def test_an_ended_lease_moves_out_on_its_last_day(billed, manager, finance):
    from anzu.leasing import services as leasing_services

    leasing_services.lease_terminate(lease=billed, by=manager, on="2026-03-20", reason="提前退租")
    case = services.settlement_open(lease=billed, by=finance)
    assert case.move_out_date == D(2026, 3, 20)


def test_preparing_again_after_approval_clears_the_approval(billed, finance, manager):
    case = services.settlement_approve(case=ready(billed, finance), by=manager)
    case = services.settlement_prepare(case=case, by=finance)
    assert (case.status, case.approved_by, case.approved_at) == ("statement_ready", None, None)
    event = AuditEvent.objects.filter(action="settlement.prepare").order_by("-id").first()
    assert event.changes["status"] == ["approved", "statement_ready"]
