"""Access (scope, organization, hidden amounts), the API and the pages."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client

from anzu.billing import access as billing_access
from anzu.billing import services
from anzu.billing.generation import bills_generate
from anzu.billing.models import Bill, Payment
from anzu.common.errors import NotFound
from anzu.common.testing import PASSWORD, OrganizationFactory, make_tenant, make_user
from anzu.core.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.urls("anzu.billing.tests.urls")]
D = dt.date


@pytest.fixture
def two_leases(make_lease, frozen):
    """Lease a in project P1 (u1), lease b in project P2 (u3); billed Jan–Mar."""
    a = make_lease()
    b = make_lease(unit="u3")
    bills_generate(through=D(2026, 3, 31))
    return a, b


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# Access helpers, one condition per test ------------------------------------------------------


def test_finance_sees_all_bills_of_the_org(two_leases, finance):
    assert billing_access.bills_for_user(finance).count() == 8


def test_scoped_staff_see_only_their_projects_bills(two_leases, org, portfolio):
    scoped = make_user(org, "customer_service", projects=[portfolio["p1"]])
    assert set(billing_access.bills_for_user(scoped).values_list("lease_id", flat=True)) == {
        two_leases[0].pk
    }


def test_building_scope_filters_bills_and_payments(two_leases, org, portfolio, finance):
    services.payment_record(by=finance, lease_id=two_leases[1].pk, channel="cash", amount="10")
    scoped = make_user(org, "frontline", buildings=[portfolio["b1"]])
    assert not billing_access.bills_for_user(scoped).filter(lease=two_leases[1]).exists()
    assert not billing_access.payments_for_user(scoped).exists()


def test_engineer_sees_no_bills(two_leases, org):
    assert not billing_access.bills_for_user(make_user(org, "engineer")).exists()


def test_another_org_sees_nothing_and_gets_404(two_leases):
    outsider = make_user(OrganizationFactory(), "finance", username="outsider")
    assert not billing_access.bills_for_user(outsider).exists()
    bill = Bill.objects.first()
    with pytest.raises(NotFound):
        billing_access.bill_for_user(outsider, bill.pk)


def test_tenant_sees_own_bills_with_amounts(two_leases, portfolio):
    tenant = make_tenant(portfolio["customer"])
    assert billing_access.bills_for_user(tenant).count() == 8
    assert billing_access.sees_amounts(tenant)


def test_frontline_sees_no_amounts(two_leases, org):
    frontline = make_user(org, "frontline")
    assert not billing_access.sees_amounts(frontline)


# API -----------------------------------------------------------------------------------------


def test_api_bills_list_filters_and_pagination(two_leases, finance):
    client = client_for(finance)
    a, _b = two_leases
    res = client.get("/api/v1/bills", {"lease_id": a.pk, "kind": "rent", "page_size": 2})
    assert res.status_code == 200
    body = res.json()
    assert (body["total"], body["page"], body["page_size"], len(body["items"])) == (3, 1, 2, 2)
    assert body["items"][0]["amount"] == "3200.00"
    res = client.get("/api/v1/bills", {"due_from": "2026-02-01", "due_to": "2026-02-28"})
    assert res.json()["total"] == 2
    res = client.get("/api/v1/bills", {"status": "paid"})
    assert res.json()["total"] == 0


def test_api_frontline_sees_bills_without_amounts(two_leases, org):
    frontline = make_user(org, "frontline")
    res = client_for(frontline).get("/api/v1/bills")
    item = res.json()["items"][0]
    assert (item["amount"], item["paid_amount"], item["amounts_hidden"]) == (None, None, True)


def test_api_bill_detail_of_another_org_is_404(two_leases):
    outsider = make_user(OrganizationFactory(), "finance", username="outsider")
    bill = Bill.objects.first()
    res = client_for(outsider).get(f"/api/v1/bills/{bill.pk}")
    assert res.status_code == 404
    assert res.json()["code"] == "not_found"


def test_api_payment_and_ledger(two_leases, finance):
    client = client_for(finance)
    a, _b = two_leases
    res = client.post(
        "/api/v1/payments",
        json.dumps(
            {"lease_id": a.pk, "channel": "wechat_pay", "amount": "7000.00", "reference": "WX-1"}
        ),
        content_type="application/json",
    )
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["amount"], body["unallocated"]) == ("7000.00", "0.00")
    assert [x["amount"] for x in body["allocations"]] == ["3200.00", "3200.00", "600.00"]
    dup = client.post(
        "/api/v1/payments",
        json.dumps(
            {"lease_id": a.pk, "channel": "wechat_pay", "amount": "7000.00", "reference": "WX-1"}
        ),
        content_type="application/json",
    )
    assert dup.status_code == 409
    assert dup.json()["field"] == "reference"
    assert "WX-1" in dup.json()["message"]
    ledger = client.get(f"/api/v1/leases/{a.pk}/ledger").json()
    assert (ledger["outstanding"], ledger["credit"], ledger["balance"], ledger["deposit_held"]) == (
        "5800.00",
        "0.00",
        "5800.00",
        "3200.00",
    )
    listed = client.get("/api/v1/payments", {"lease_id": a.pk}).json()
    assert listed["total"] == 1


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"channel": "cash", "amount": "0"}, 422, "amount"),
        ({"channel": "cash", "amount": "-1"}, 422, "amount"),
        ({"channel": "cash", "amount": "10", "lease_id": 999999}, 422, "lease_id"),
        ({"channel": "bitcoin", "amount": "10"}, 422, "channel"),
        ({"channel": "cash"}, 422, "amount"),
    ],
)
def test_api_payment_bad_input(two_leases, finance, payload, status, field):
    payload.setdefault("lease_id", two_leases[0].pk)
    res = client_for(finance).post(
        "/api/v1/payments", json.dumps(payload), content_type="application/json"
    )
    assert res.status_code == status, res.content
    assert res.json()["field"] == field
    assert not Payment.objects.exists()
    assert not AuditEvent.objects.filter(action="payment.record").exists()


def test_api_charge_and_aging(two_leases, finance):
    client = client_for(finance)
    a, _b = two_leases
    res = client.post(
        "/api/v1/charges",
        json.dumps(
            {"lease_id": a.pk, "kind": "utility", "amount": "88.50", "due_date": "2025-11-01"}
        ),
        content_type="application/json",
    )
    assert res.status_code == 201, res.content
    assert res.json()["kind"] == "utility"
    aging = client.get("/api/v1/receivables/aging").json()
    buckets = {b["bucket"]: (b["count"], b["amount"]) for b in aging["buckets"]}
    # Today 2026-03-10: deposits and Jan rent are 68 days overdue, Feb 37, Mar 9; the utility
    # bill due 2025-11-01 is 129 days overdue.
    assert buckets == {
        "0-30": (2, "6400.00"),
        "31-60": (2, "6400.00"),
        "61-90": (4, "12800.00"),
        "90+": (1, "88.50"),
        "not_due": (0, "0.00"),
    }
    assert aging["overdue_total"] == "25688.50"


def test_api_frontline_cannot_record_payments(two_leases, org):
    frontline = make_user(org, "frontline")
    res = client_for(frontline).post(
        "/api/v1/payments",
        json.dumps({"lease_id": two_leases[0].pk, "channel": "cash", "amount": "1"}),
        content_type="application/json",
    )
    assert res.status_code == 403


def test_api_ledger_for_engineer_is_404(two_leases, org):
    res = client_for(make_user(org, "engineer")).get(f"/api/v1/leases/{two_leases[0].pk}/ledger")
    assert res.status_code == 404


# Pages ---------------------------------------------------------------------------------------


def test_ledger_page_shows_bills_and_balance(two_leases, finance):
    a, _b = two_leases
    services.payment_record(by=finance, lease_id=a.pk, channel="cash", amount="1000.00")
    res = client_for(finance).get(f"/billing/leases/{a.pk}/")
    assert res.status_code == 200
    html = res.content.decode()
    # Deposit 3200 + rent 3 × 3200 − 1000 paid.
    assert 'id="ledger-outstanding">¥11,800.00<' in html
    assert 'id="deposit-ledger"' not in html  # no deposit received yet


def test_ledger_page_hides_amounts_from_frontline(two_leases, org):
    res = client_for(make_user(org, "frontline")).get(f"/billing/leases/{two_leases[0].pk}/")
    assert res.status_code == 200
    assert "3,200.00" not in res.content.decode()


def test_ledger_page_of_another_org_is_404(two_leases):
    outsider = make_user(OrganizationFactory(), "finance", username="outsider")
    res = client_for(outsider).get(f"/billing/leases/{two_leases[0].pk}/")
    assert res.status_code == 404


def test_payment_form_records_and_shows_errors_on_the_field(two_leases, finance):
    a, _b = two_leases
    client = client_for(finance)
    assert client.get(f"/billing/payments/new/?lease={a.pk}").status_code == 200
    res = client.post(
        "/billing/payments/new/", {"lease_id": a.pk, "channel": "cash", "amount": "0"}
    )
    assert res.status_code == 422
    assert "amount" in res.context["form"].errors
    assert not Payment.objects.exists()
    res = client.post(
        "/billing/payments/new/",
        {"lease_id": a.pk, "channel": "alipay", "amount": "3200.00", "received_at": "2026-03-09"},
    )
    assert res.status_code == 302
    assert Payment.objects.get().amount == Decimal("3200.00")


def test_charge_form(two_leases, finance):
    a, _b = two_leases
    client = client_for(finance)
    assert client.get(f"/billing/charges/new/?lease={a.pk}").status_code == 200
    res = client.post(
        "/billing/charges/new/",
        {"lease_id": a.pk, "kind": "property_fee", "amount": "-3", "due_date": "2026-03-15"},
    )
    assert res.status_code == 422
    assert "amount" in res.context["form"].errors
    res = client.post(
        "/billing/charges/new/",
        {"lease_id": a.pk, "kind": "property_fee", "amount": "120", "due_date": "2026-03-15"},
    )
    assert res.status_code == 302
    assert Bill.objects.filter(kind="property_fee").count() == 1


def test_receivables_page_with_filters(two_leases, finance, portfolio):
    client = client_for(finance)
    res = client.get("/billing/receivables/")
    assert res.status_code == 200
    assert len(res.context["rows"]) == 8
    res = client.get(
        "/billing/receivables/", {"project_id": portfolio["p1"].pk, "overdue_only": "on"}
    )
    assert len(res.context["rows"]) == 4


def test_ledger_deposit_actions(two_leases, finance, manager):
    from anzu.leasing import services as leasing_services

    a, _b = two_leases
    services.payment_record(by=finance, lease_id=a.pk, channel="cash", amount="6400.00")
    leasing_services.lease_terminate(lease=a, by=manager, on="2026-03-31", reason="退租")
    client = client_for(finance)
    res = client.post(f"/billing/leases/{a.pk}/deposit-offset/")
    assert res.status_code == 302
    assert services.deposit_balance(a.pk) == Decimal("0.00")
    res = client.post(f"/billing/leases/{a.pk}/deposit-refund/", {"channel": "cash"})
    assert res.status_code == 422
    assert "lease_id" not in res.context["refund_form"].fields
    assert res.context["refund_form"].non_field_errors()


def test_pages_need_billing_roles(two_leases, org):
    engineer = client_for(make_user(org, "engineer"))
    assert engineer.get("/billing/receivables/").status_code == 403
    frontline = client_for(make_user(org, "frontline"))
    assert frontline.get(f"/billing/payments/new/?lease={two_leases[0].pk}").status_code == 403


def test_payment_form_duplicate_reference_in_chinese(two_leases, finance):
    a, _b = two_leases
    services.payment_record(
        by=finance, lease_id=a.pk, channel="bank_transfer", amount="10.00", reference="HX-1"
    )
    res = client_for(finance).post(
        "/billing/payments/new/",
        {"lease_id": a.pk, "channel": "bank_transfer", "amount": "10.00", "reference": "HX-1"},
    )
    assert res.status_code == 422
    [message] = res.context["form"].errors["reference"]
    assert message.startswith("流水号 HX-1 已登记为收款 #")
    assert Payment.objects.count() == 1


def test_ledger_page_is_chinese_by_default(two_leases, finance):
    html = client_for(finance).get(f"/billing/leases/{two_leases[0].pk}/").content.decode()
    assert "租金台账" in html
    assert "押金台账" in html


def test_api_tenant_sees_own_bills_with_amounts(two_leases, portfolio, org):
    from anzu.common.testing import CustomerFactory

    tenant = make_tenant(portfolio["customer"])
    body = client_for(tenant).get("/api/v1/bills").json()
    assert body["total"] == 8
    assert body["items"][0]["amount"] == "3200.00"
    stranger = make_tenant(CustomerFactory(organization=org), username="stranger")
    assert client_for(stranger).get("/api/v1/bills").json()["total"] == 0


def test_api_ledger_of_another_org_is_404(two_leases):
    outsider = make_user(OrganizationFactory(), "finance", username="outsider")
    res = client_for(outsider).get(f"/api/v1/leases/{two_leases[0].pk}/ledger")
    assert res.status_code == 404
    assert res.json()["code"] == "not_found"


def test_openapi_schema_lists_the_billing_routes():
    from anzu.billing.tests.urls import api

    paths = api.get_openapi_schema()["paths"]
    for path in (
        "/api/v1/bills",
        "/api/v1/bills/{bill_id}",
        "/api/v1/charges",
        "/api/v1/payments",
        "/api/v1/leases/{lease_id}/ledger",
        "/api/v1/receivables/aging",
    ):
        assert path in paths, sorted(paths)
