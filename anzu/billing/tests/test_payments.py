"""Payments: allocation order, partial payments, credit, refunds, deposit ledger, bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from anzu.billing import services
from anzu.billing.generation import bills_generate
from anzu.billing.models import Allocation, Bill, DepositEntry, Payment, Refund
from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import CustomerFactory, OrganizationFactory, make_user
from anzu.core.models import AuditEvent
from anzu.leasing import services as leasing_services
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db
D = dt.date


def state(lease):
    return [
        (b.kind, b.due_date, b.paid_amount, b.status)
        for b in Bill.objects.filter(lease=lease).order_by("due_date", "id")
    ]


@pytest.fixture
def billed(make_lease, frozen):
    """Deposit 3200 (due 01-01), rent 3200 for Jan, Feb, Mar; a property fee due 01-01."""
    lease = make_lease()
    bills_generate(through=D(2026, 3, 31))
    return lease


def test_oldest_due_first_ties_by_kind_then_id(billed, finance):
    fee = services.charge_create(
        by=finance, lease_id=billed.pk, kind="property_fee", amount="150.00", due_date="2026-01-01"
    )
    assert fee.status == "open"
    payment = services.payment_record(
        by=finance, lease_id=billed.pk, channel="wechat_pay", amount="6500.00", reference="WX1"
    )
    assert payment.unallocated == Decimal("0.00")
    # Due 01-01: rent, then deposit, then the property fee; then February's rent.
    assert [
        (a.bill.kind, a.amount) for a in Allocation.objects.filter(payment=payment).order_by("id")
    ] == [
        ("rent", Decimal("3200.00")),
        ("deposit", Decimal("3200.00")),
        ("property_fee", Decimal("100.00")),
    ]
    assert state(billed) == [
        ("deposit", D(2026, 1, 1), Decimal("3200.00"), "paid"),
        ("rent", D(2026, 1, 1), Decimal("3200.00"), "paid"),
        ("property_fee", D(2026, 1, 1), Decimal("100.00"), "open"),
        ("rent", D(2026, 2, 1), Decimal("0.00"), "open"),
        ("rent", D(2026, 3, 1), Decimal("0.00"), "open"),
    ]


def test_partial_payments_accumulate(billed, finance):
    services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="1000.00")
    services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="2200.00")
    assert state(billed)[:2] == [
        ("deposit", D(2026, 1, 1), Decimal("0.00"), "open"),
        ("rent", D(2026, 1, 1), Decimal("3200.00"), "paid"),
    ]


def test_overpayment_is_credit_applied_to_later_bills(billed, finance):
    payment = services.payment_record(
        by=finance, lease_id=billed.pk, channel="alipay", amount="14000.00", reference="ALI-9"
    )
    # 4 bills of 3200 = 12800; 1200 credit left.
    assert payment.unallocated == Decimal("1200.00")
    summary = bills_generate(through=D(2026, 4, 30))
    assert summary["credit_applied"] == 1
    payment.refresh_from_db()
    assert payment.unallocated == Decimal("0.00")
    april = Bill.objects.get(lease=billed, kind="rent", period_start=D(2026, 4, 1))
    assert (april.paid_amount, april.status) == (Decimal("1200.00"), "open")


def test_credit_applied_to_a_new_charge_and_refund_of_credit(billed, finance):
    payment = services.payment_record(
        by=finance, lease_id=billed.pk, channel="bank_transfer", amount="13000.00", reference="B1"
    )
    assert payment.unallocated == Decimal("200.00")
    fee = services.charge_create(
        by=finance, lease_id=billed.pk, kind="utility", amount="80.00", due_date="2026-03-20"
    )
    assert (fee.paid_amount, fee.status) == (Decimal("80.00"), "paid")
    payment.refresh_from_db()
    assert payment.unallocated == Decimal("120.00")
    with pytest.raises(ValidationFailed) as err:
        services.credit_refund(payment=payment, by=finance, amount="120.01", channel="cash")
    assert err.value.field == "amount"
    refund = approve_as(
        services.credit_refund(
            payment=payment, by=finance, amount="120.00", channel="bank_transfer", reason="多付退回"
        )
    )
    payment.refresh_from_db()
    assert (refund.kind, refund.amount, payment.unallocated) == (
        "credit",
        Decimal("120.00"),
        Decimal("0.00"),
    )


def test_deposit_ledger_held_offset_refunded(billed, finance, manager):
    services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="6400.00")
    held = DepositEntry.objects.get(lease=billed)
    assert (held.kind, held.amount) == ("held", Decimal("3200.00"))
    assert services.deposit_balance(billed.pk) == Decimal("3200.00")
    with pytest.raises(ValidationFailed) as err:
        services.deposit_offset(lease=billed, by=finance)
    assert err.value.field == "lease_id"
    leasing_services.lease_terminate(lease=billed, by=manager, on="2026-03-31", reason="到期前退租")
    entries = services.deposit_offset(lease=billed, by=finance)
    # Feb rent 3200 takes it all; March stays open.
    assert [(e.kind, e.amount, e.bill.period_start) for e in entries] == [
        ("offset", Decimal("3200.00"), D(2026, 2, 1))
    ]
    assert services.deposit_balance(billed.pk) == Decimal("0.00")
    with pytest.raises(ValidationFailed) as err:
        services.deposit_refund(lease=billed, by=finance, channel="bank_transfer")
    assert err.value.code == "no_deposit"


def test_deposit_refund_after_move_out(billed, finance, manager):
    services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="16000.00")
    leasing_services.lease_terminate(lease=billed, by=manager, on="2026-03-31", reason="退租")
    with pytest.raises(ValidationFailed) as err:
        services.deposit_refund(lease=billed, by=finance, channel="cash", amount="3200.01")
    assert err.value.field == "amount"
    refund = approve_as(services.deposit_refund(lease=billed, by=finance, channel="bank_transfer"))
    assert (refund.kind, refund.amount) == ("deposit", Decimal("3200.00"))
    assert [(e.kind, e.amount) for e in DepositEntry.objects.filter(lease=billed)] == [
        ("held", Decimal("3200.00")),
        ("refunded", Decimal("3200.00")),
    ]


def test_payment_is_audited_and_hook_runs_after_commit(
    billed, finance, django_capture_on_commit_callbacks
):
    with (
        mock.patch("anzu.billing.hooks.on_payment_committed") as hook,
        django_capture_on_commit_callbacks(execute=True),
    ):
        payment = services.payment_record(
            by=finance, lease_id=billed.pk, channel="cash", amount="100.00"
        )
    hook.assert_called_once_with(payment.pk)
    event = AuditEvent.objects.filter(action="payment.record").get()
    assert event.object_id == str(payment.pk)
    assert event.changes["allocations"] == [
        [Bill.objects.get(lease=billed, kind="rent", period_start=D(2026, 1, 1)).pk, "100.00"]
    ]


def _nothing_written():
    return (
        Payment.objects.count(),
        Allocation.objects.count(),
        Refund.objects.count(),
        AuditEvent.objects.filter(action__startswith="payment").count(),
        list(Bill.objects.order_by("id").values_list("paid_amount", "status")),
    )


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"amount": "0"}, "amount", "zero"),
        ({"amount": "-5.00"}, "amount", "negative"),
        ({"amount": "1.005"}, "amount", "precision"),
        ({"channel": "paypal"}, "channel", "invalid_choice"),
        ({"lease_id": 999999}, "lease_id", "not_found"),
        ({"received_at": "yesterday"}, "received_at", "invalid"),
    ],
)
def test_bad_input_writes_nothing(billed, finance, overrides, field, code):
    before = _nothing_written()
    args = {"lease_id": billed.pk, "channel": "cash", "amount": "100.00", **overrides}
    with pytest.raises(ValidationFailed) as err:
        services.payment_record(by=finance, **args)
    assert (err.value.field, err.value.code) == (field, code)
    assert _nothing_written() == before


def test_payment_to_void_lease_is_refused(portfolio, manager, finance, frozen):
    from anzu.common.testing import lease_data

    lease = approve_as(
        leasing_services.lease_create(
            by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])
        )
    )
    leasing_services.lease_void(lease=lease, by=manager, reason="取消")
    before = _nothing_written()
    with pytest.raises(ValidationFailed) as err:
        services.payment_record(by=finance, lease_id=lease.pk, channel="cash", amount="10.00")
    assert (err.value.field, err.value.code) == ("lease_id", "lease_void")
    assert _nothing_written() == before


def test_duplicate_reference_is_a_conflict_naming_it(billed, finance):
    first = services.payment_record(
        by=finance, lease_id=billed.pk, channel="bank_transfer", amount="100.00", reference="HX-77"
    )
    before = _nothing_written()
    with pytest.raises(Conflict) as err:
        services.payment_record(
            by=finance,
            lease_id=billed.pk,
            channel="bank_transfer",
            amount="100.00",
            reference="HX-77",
        )
    assert err.value.status == 409
    assert err.value.field == "reference"
    assert "HX-77" in err.value.message
    assert err.value.extra["existing_payment"]["id"] == first.pk
    assert _nothing_written() == before
    # The same reference on another channel is another payment.
    services.payment_record(
        by=finance, lease_id=billed.pk, channel="alipay", amount="100.00", reference="HX-77"
    )


def test_another_orgs_lease_is_unknown(billed, finance):
    other = OrganizationFactory()
    outsider = make_user(other, "finance", username="outsider")
    with pytest.raises(ValidationFailed) as err:
        services.payment_record(by=outsider, lease_id=billed.pk, channel="cash", amount="1.00")
    assert err.value.field == "lease_id"


def test_roles_without_billing_write_cannot_record(billed, org):
    for role in ("legal", "customer_service", "frontline", "engineer"):
        user = make_user(org, role, username=f"u-{role}")
        with pytest.raises(PermissionDenied):
            services.payment_record(by=user, lease_id=billed.pk, channel="cash", amount="1.00")
    assert not Payment.objects.exists()


def test_customer_payment_without_lease_spreads_over_customer_bills(billed, finance, org):
    payment = services.payment_record(
        by=finance, customer_id=billed.customer_id, channel="cash", amount="3300.00"
    )
    assert payment.lease_id is None
    assert payment.unallocated == Decimal("0.00")
    assert state(billed)[0][2:] == (Decimal("100.00"), "open")
    stranger = CustomerFactory(organization=org)
    with pytest.raises(ValidationFailed) as err:
        services.payment_record(
            by=finance, lease_id=billed.pk, customer_id=stranger.pk, channel="cash", amount="1"
        )
    assert err.value.field == "customer_id"


def test_manual_charge_validation(billed, finance):
    count = Bill.objects.count()
    cases = [
        ({"kind": "rent"}, "kind"),
        ({"amount": "0"}, "amount"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"period_start": "2026-03-10", "period_end": "2026-03-01"}, "period_end"),
        ({"lease_id": 424242}, "lease_id"),
    ]
    for overrides, field in cases:
        args = {
            "lease_id": billed.pk,
            "kind": "utility",
            "amount": "10.00",
            "due_date": "2026-03-20",
            **overrides,
        }
        with pytest.raises(ValidationFailed) as err:
            services.charge_create(by=finance, **args)
        assert err.value.field == field
    assert Bill.objects.count() == count


# Write-off ----------------------------------------------------------------------------------


def test_write_off_waives_the_unpaid_remainder_after_approval(billed, finance, manager):
    services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="4000.00")
    feb = Bill.objects.get(lease=billed, kind="rent", period_start=D(2026, 2, 1))
    jan_deposit = Bill.objects.get(lease=billed, kind="deposit")
    assert (jan_deposit.paid_amount, jan_deposit.status) == (Decimal("800.00"), "open")
    with pytest.raises(ValidationFailed) as err:
        services.bill_write_off(bill=feb, by=finance, reason="")
    assert err.value.field == "reason"
    request = services.bill_write_off(bill=jan_deposit, by=finance, reason="困难减免")
    assert Bill.objects.get(pk=jan_deposit.pk).status == "open"
    partly = approve_as(request, manager)
    assert (partly.amount, partly.paid_amount, partly.status) == (
        Decimal("800.00"),
        Decimal("800.00"),
        "paid",
    )
    event = AuditEvent.objects.get(action="bill.write_off", object_id=str(jan_deposit.pk))
    assert event.changes["waived"] == "2400.00"
    assert event.changes["amount"] == ["3200.00", "800.00"]
    unpaid = approve_as(services.bill_write_off(bill=feb, by=finance, reason="困难减免"), manager)
    assert (unpaid.amount, unpaid.paid_amount, unpaid.status) == (
        Decimal("3200.00"),
        Decimal("0.00"),
        "void",
    )
    with pytest.raises(ValidationFailed) as again:
        services.bill_write_off(bill=unpaid, by=finance, reason="再次")
    assert again.value.code == "not_open"
