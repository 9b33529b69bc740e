"""Paying with the sandbox provider: order → checkout page → signed callback → bills paid."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from anzu.billing.models import Allocation, Bill, Payment
from anzu.core.models import AuditEvent
from anzu.integrations.payments.config import PaymentConfig
from anzu.integrations.payments.sandbox import SIGNATURE_HEADER, SandboxPaymentProvider
from anzu.portal import services
from anzu.portal.models import PaymentOrder
from anzu.portal.tests.conftest import SANDBOX_KEY
from anzu.portal.tests.helpers import login, open_bills, snapshot

pytestmark = pytest.mark.django_db
CALLBACK = "/api/v1/payments/callback/sandbox"


def _signed(order, *, succeed=True, amount=None, key=SANDBOX_KEY):
    provider = SandboxPaymentProvider(PaymentConfig(sandbox_key=key))
    headers, body = provider.simulate(order, succeed=succeed)
    if amount is not None:
        data = json.loads(body)
        data["amount"] = amount
        body = json.dumps(data).encode()
        timestamp = headers[SIGNATURE_HEADER].split(",")[0][2:]
        headers[SIGNATURE_HEADER] = f"t={timestamp},v1={provider.signature(int(timestamp), body)}"
    return headers, body


def _post_callback(client, headers, body):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    return client.post(CALLBACK, data=body, content_type="application/json", **extra)


@pytest.fixture
def order(world):
    rent_jan, deposit = open_bills(world["lease"])[:2]
    return services.payment_order_create(
        by=world["tenant"], bill_ids=[rent_jan.pk, deposit.pk], amount="6400.00"
    )


def test_pay_flow_end_to_end_through_the_pages(client, world):
    login(client, world["tenant"])
    rent_jan, deposit, rent_feb, rent_mar = open_bills(world["lease"])
    page = client.get(f"/portal/bills/{deposit.pk}/")
    form = page.context["form"]
    start = client.post(
        "/portal/pay/",
        {"bill_ids": form.initial["bill_ids"], "amount": str(form.initial["amount"])},
    )
    order = PaymentOrder.objects.get()
    assert start.status_code == 302
    assert start["Location"] == f"/portal/sandbox/checkout/{order.pk}/"
    assert (order.status, order.amount, order.bills) == (
        "created",
        Decimal("6400.00"),
        [rent_jan.pk, deposit.pk],
    )
    checkout = client.get(start["Location"])
    assert checkout.status_code == 200
    html = checkout.content.decode()
    assert "沙箱" in html
    assert "¥6,400.00" in html
    done = client.post(start["Location"], {"outcome": "pay"})
    assert done.status_code == 302
    assert done["Location"] == f"/portal/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.status == "paid"
    payment = Payment.objects.get()
    assert order.payment_id == payment.pk
    assert order.provider_transaction_id == f"SANDBOX-{order.out_trade_no}"
    assert (payment.channel, payment.reference, payment.amount, payment.created_by_id) == (
        "wechat_pay",
        f"SANDBOX-{order.out_trade_no}",
        Decimal("6400.00"),
        None,
    )
    assert [(a.bill_id, a.amount) for a in Allocation.objects.order_by("id")] == [
        (rent_jan.pk, Decimal("3200.00")),
        (deposit.pk, Decimal("3200.00")),
    ]
    assert list(
        Bill.objects.filter(lease=world["lease"]).order_by("id").values_list("id", "status")
    ) == sorted(
        [(rent_jan.pk, "paid"), (deposit.pk, "paid"), (rent_feb.pk, "open"), (rent_mar.pk, "open")]
    )
    event = AuditEvent.objects.get(action="payment.record")
    assert (event.actor_id, event.actor_label, event.changes["origin"]) == (
        None,
        "system",
        "provider",
    )
    assert AuditEvent.objects.get(action="payment_order.paid").changes["payment"] == payment.pk
    result = client.get(done["Location"])
    assert result.status_code == 200
    assert 'data-status="paid"' in result.content.decode()


def test_pay_all_of_a_lease_from_the_pay_page(client, world):
    login(client, world["tenant"])
    confirm = client.get(f"/portal/pay/?lease={world['lease'].pk}")
    assert confirm.status_code == 200
    assert str(confirm.context["total"]) == "12800.00"
    start = client.post("/portal/pay/", {"lease_id": world["lease"].pk, "amount": "12800.00"})
    order = PaymentOrder.objects.get()
    assert start["Location"] == f"/portal/sandbox/checkout/{order.pk}/"
    client.post(start["Location"], {"outcome": "pay"})
    assert set(Bill.objects.filter(lease=world["lease"]).values_list("status", flat=True)) == {
        "paid"
    }


def test_sandbox_fail_marks_the_order_failed_and_records_nothing(client, world, order):
    login(client, world["tenant"])
    response = client.post(f"/portal/sandbox/checkout/{order.pk}/", {"outcome": "fail"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.failure_reason) == ("failed", "PAYERROR")
    assert Payment.objects.count() == 0


def test_repeated_callback_records_one_payment(world, order):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # the provider sends no CSRF token
    headers, body = _signed(order)
    first = _post_callback(client, headers, body)
    second = _post_callback(client, headers, body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == {"code": "SUCCESS", "message": "OK"}
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="payment.record").count() == 1
    order.refresh_from_db()
    assert order.status == "paid"


def test_forged_signature_is_401_and_writes_nothing(client, world, order):
    before = snapshot()
    headers, body = _signed(order, key="not-the-key")
    response = _post_callback(client, headers, body)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    missing = _post_callback(client, {}, body)
    assert missing.status_code == 401
    good_headers, good_body = _signed(order)
    tampered = _post_callback(client, good_headers, good_body.replace(b"6400.00", b"0.01"))
    assert tampered.status_code == 401
    assert snapshot() == before


def test_amount_mismatch_is_rejected_and_logged(client, world, order, caplog):
    before = snapshot()
    headers, body = _signed(order, amount="1.00")
    response = _post_callback(client, headers, body)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("amount_mismatch", "amount")
    assert snapshot() == before
    assert any("reports 1.00 paid" in r.getMessage() for r in caplog.records)


def test_callback_for_a_disabled_provider_is_404(client, world, order):
    _headers, body = _signed(order)
    assert (
        client.post(
            "/api/v1/payments/callback/wechat_pay", data=body, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/payments/callback/nope", data=body, content_type="application/json"
        ).status_code
        == 404
    )


def test_sandbox_checkout_is_404_when_the_sandbox_is_not_enabled(
    client, world, order, use_payments
):
    login(client, world["tenant"])
    use_payments(provider="wechat_pay")
    assert client.get(f"/portal/sandbox/checkout/{order.pk}/").status_code == 404
    headers, body = _signed(order)
    assert _post_callback(client, headers, body).status_code == 404
    assert Payment.objects.count() == 0


def test_sandbox_checkout_of_another_tenants_order_is_404(client, world, order, manager):
    login(client, world["other_tenant"])
    assert client.get(f"/portal/sandbox/checkout/{order.pk}/").status_code == 404
    assert (
        client.post(f"/portal/sandbox/checkout/{order.pk}/", {"outcome": "pay"}).status_code == 404
    )
    assert client.get(f"/portal/orders/{order.pk}/").status_code == 404
    client.logout()
    login(client, manager)
    assert client.get(f"/portal/orders/{order.pk}/").status_code == 404
    assert Payment.objects.count() == 0


def test_paid_after_expiry_is_still_recorded(client, world, order, frozen):
    import datetime as dt

    frozen.shift(dt.timedelta(minutes=31))
    assert services.payment_orders_expire() == 1
    assert services.payment_orders_expire() == 0
    order.refresh_from_db()
    assert order.status == "expired"
    headers, body = _signed(order)
    assert _post_callback(client, headers, body).status_code == 200
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.count() == 1


def test_page_form_error_names_the_field_and_writes_nothing(client, world):
    login(client, world["tenant"])
    rent_jan = open_bills(world["lease"])[0]
    before = snapshot()
    response = client.post("/portal/pay/", {"bill_ids": str(rent_jan.pk), "amount": "3100.00"})
    assert response.status_code == 422
    assert response.context["form"].errors["amount"] == ["金额与所选账单的未付合计不一致。"]
    assert snapshot() == before
