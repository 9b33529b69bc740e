"""The portal API for the mini-program / H5: bills, payment orders, notices, inbox."""

from __future__ import annotations

import pytest

from anzu.common import clock
from anzu.core.tokens import token_create
from anzu.documents.services import document_archive
from anzu.notify.models import InboxMessage
from anzu.portal.models import PaymentOrder
from anzu.portal.tests.helpers import login, open_bills, snapshot

pytestmark = pytest.mark.django_db


def test_bills_are_the_tenants_own_with_overdue_flags(client, world):
    login(client, world["tenant"])
    response = client.get("/api/v1/portal/bills?status=open")
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 4
    assert {b["lease_id"] for b in data["items"]} == {world["lease"].pk}
    assert [b["due_date"] for b in data["items"]] == [
        "2026-01-01",
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    assert [b["days_overdue"] for b in data["items"]] == [68, 68, 37, 9]
    assert all(b["overdue"] and b["amount"] == "3200.00" for b in data["items"])


def test_staff_get_403_everywhere(client, world, manager):
    login(client, manager)
    for path in ("bills", "notices", "inbox"):
        response = client.get(f"/api/v1/portal/{path}")
        assert response.status_code == 403, path
        assert response.json()["code"] == "forbidden"
    before = snapshot()
    bill = open_bills(world["lease"])[0]
    response = client.post(
        "/api/v1/portal/payment-orders",
        {"bill_ids": [bill.pk], "amount": "3200.00"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_token_auth_creates_an_order_and_reads_it(client, world):
    # Tenants may hold API tokens issued by the operator (the mini-program's login).
    _token, raw = token_create(user=world["tenant"], name="mini-program", expires_in_days=30)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    rent_jan = open_bills(world["lease"])[0]
    created = client.post(
        "/api/v1/portal/payment-orders",
        {"bill_ids": [rent_jan.pk], "amount": "3200.00"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    order = PaymentOrder.objects.get()
    assert body["id"] == order.pk
    assert (body["status"], body["amount"], body["bill_ids"], body["sandbox"]) == (
        "created",
        "3200.00",
        [rent_jan.pk],
        True,
    )
    assert (body["checkout_kind"], body["checkout_value"]) == (
        "redirect",
        f"/portal/sandbox/checkout/{order.pk}/",
    )
    detail = client.get(f"/api/v1/portal/payment-orders/{order.pk}", **auth)
    assert detail.status_code == 200
    assert detail.json()["out_trade_no"] == order.out_trade_no


def test_order_of_another_tenant_is_404(client, world):
    login(client, world["tenant"])
    bill = open_bills(world["lease"])[0]
    created = client.post(
        "/api/v1/portal/payment-orders",
        {"bill_ids": [bill.pk], "amount": "3200.00"},
        content_type="application/json",
    )
    assert created.status_code == 201
    client.logout()
    login(client, world["other_tenant"])
    response = client.get(f"/api/v1/portal/payment-orders/{created.json()['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"bill_ids": [], "amount": "3200.00"}, "bill_ids", "required"),
        ({"bill_ids": ["OTHER"], "amount": "3200.00"}, "bill_ids", "not_found"),
        ({"bill_ids": ["FEB"], "amount": "3200.00"}, "bill_ids", "older_open"),
        ({"bill_ids": ["JAN"], "amount": "3199.99"}, "amount", "amount_mismatch"),
        ({"bill_ids": ["JAN"], "amount": "0"}, "amount", "zero"),
        ({"bill_ids": ["JAN"], "amount": "-1"}, "amount", "negative"),
        ({"bill_ids": ["JAN"], "amount": "abc"}, "amount", "invalid"),
        ({"bill_ids": ["JAN"]}, "amount", "required"),
        ({"lease_id": "OTHER_LEASE", "amount": "12800.00"}, "lease_id", "not_found"),
        (
            {"bill_ids": ["JAN"], "lease_id": "OTHER_LEASE", "amount": "3200.00"},
            "lease_id",
            "mismatch",
        ),
        ({"bill_ids": ["JAN"], "amount": "3200.00", "tip": 1}, "tip", "unknown_field"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client, world, payload, field, code):
    rent_jan, _deposit, rent_feb, _mar = open_bills(world["lease"])
    other = open_bills(world["other_lease"])[0]
    names = {"JAN": rent_jan.pk, "FEB": rent_feb.pk, "OTHER": other.pk}
    payload = dict(payload)
    if "bill_ids" in payload:
        payload["bill_ids"] = [names[b] for b in payload["bill_ids"]]
    if payload.get("lease_id") == "OTHER_LEASE":
        payload["lease_id"] = world["other_lease"].pk
    login(client, world["tenant"])
    before = snapshot()
    response = client.post(
        "/api/v1/portal/payment-orders", payload, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    assert snapshot() == before


def test_paid_bill_cannot_be_ordered_again(client, world):
    from anzu.billing import services as billing_services

    rent_jan = open_bills(world["lease"])[0]
    billing_services.payment_record(
        by=world["finance"], lease_id=world["lease"].pk, channel="cash", amount="3200.00"
    )
    login(client, world["tenant"])
    before = snapshot()
    response = client.post(
        "/api/v1/portal/payment-orders",
        {"bill_ids": [rent_jan.pk], "amount": "3200.00"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["code"]) == ("bill_ids", "not_open")
    assert snapshot() == before


def test_notices_and_inbox(client, world, org, manager):
    mine = document_archive(
        organization_id=org.pk,
        kind="settlement_statement",
        title="退租结算单",
        content=b"%PDF mine",
        related=world["lease"],
        by=manager,
    )
    document_archive(
        organization_id=org.pk,
        kind="lawyer_letter",
        title="别人的律师函",
        content=b"%PDF theirs",
        related=world["other_lease"],
        by=manager,
    )
    InboxMessage.objects.create(
        organization=org,
        customer=world["customer"],
        subject="通知",
        body="内容",
        created_at=clock.now(),
    )
    InboxMessage.objects.create(
        organization=org,
        customer=world["other_customer"],
        subject="别人的",
        body="x",
        created_at=clock.now(),
    )
    login(client, world["tenant"])
    notices = client.get("/api/v1/portal/notices").json()
    assert [(n["id"], n["kind"], n["lease_id"]) for n in notices["items"]] == [
        (mine.pk, "settlement_statement", world["lease"].pk)
    ]
    assert notices["items"][0]["download_url"] == f"/portal/notices/{mine.pk}/download/"
    inbox = client.get("/api/v1/portal/inbox").json()
    assert [m["subject"] for m in inbox["items"]] == ["通知"]
