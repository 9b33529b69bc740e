"""The API and the pages: status codes, shapes, access (403 by role, 404 across orgs), CSV."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anzu.billing import services as billing_services
from anzu.billing.settlement import services
from anzu.billing.settlement.models import InspectionItem, SettlementCase
from anzu.billing.settlement.tests.conftest import client_for
from anzu.common.testing import OrganizationFactory, make_user
from anzu.core.models import AuditEvent
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as

pytestmark = [pytest.mark.django_db, pytest.mark.urls("anzu.billing.settlement.tests.urls")]
D = dt.date
DAMAGE = {"area": "客厅", "item": "墙面", "condition": "damaged", "damage_amount": "450.50"}


def post(client, url, body=None, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


@pytest.fixture
def case(billed, finance):
    return services.settlement_open(lease=billed, by=finance, move_out_date=D(2026, 3, 31))


@pytest.fixture
def closed_owing(case, finance, manager):
    """Closed with ¥3,650.50 still owed (February, March's remainder after the deposit, damages)."""
    services.settlement_inspect(case=case, by=finance, items=[DAMAGE])
    services.settlement_prepare(case=case, by=finance)
    services.settlement_approve(case=case, by=manager)
    return services.settlement_close(case=case, by=finance)


def exported(client, response, maker):
    """The export waits for approval: a second person approves, then its maker downloads it."""
    assert response.status_code in (202, 302), response.content
    request = ApprovalRequest.objects.filter(maker=maker, action="settlement.credit_report").latest(
        "id"
    )
    assert not AuditEvent.objects.filter(action="settlement.credit_export").exists()
    approve_as(request)
    return client.get(f"/approvals/{request.pk}/download/")


# Access -------------------------------------------------------------------------------------


def test_frontline_gets_403_from_api_and_pages(case, org):
    client = client_for(make_user(org, "frontline", username="fl"))
    assert client.get("/api/v1/settlements").status_code == 403
    response = client.get(f"/api/v1/settlements/{case.pk}")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert client.get("/billing/settlements/").status_code == 403
    assert client.get(f"/billing/settlements/{case.pk}/").status_code == 403


def test_another_org_gets_404(case):
    client = client_for(make_user(OrganizationFactory(), "finance", username="outsider"))
    response = client.get(f"/api/v1/settlements/{case.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert client.get(f"/billing/settlements/{case.pk}/").status_code == 404
    assert client.get("/api/v1/settlements").json()["total"] == 0
    response = post(client, f"/api/v1/settlements/{case.pk}/prepare")
    assert response.status_code == 404


def test_out_of_scope_staff_get_404(case, org, portfolio):
    scoped = make_user(org, "finance", username="scoped", projects=[portfolio["p2"]])
    assert client_for(scoped).get(f"/api/v1/settlements/{case.pk}").status_code == 404


# API ----------------------------------------------------------------------------------------


def test_open_via_api_is_idempotent(billed, finance):
    client = client_for(finance)
    first = post(client, "/api/v1/settlements", {"lease_id": billed.pk, "reason": "租客提前退租"})
    assert first.status_code == 201
    body = first.json()
    assert (body["lease_code"], body["status"], body["source"], body["move_out_date"]) == (
        billed.code,
        "open",
        "manual",
        None,
    )
    again = post(client, "/api/v1/settlements", {"lease_id": billed.pk})
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    assert SettlementCase.objects.count() == 1


def test_open_unknown_lease_names_the_field(billed, finance):
    response = post(client_for(finance), "/api/v1/settlements", {"lease_id": 999999})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("not_found", "lease_id")


def test_full_flow_over_the_api(case, finance, manager, billed):
    fin, mgr = client_for(finance), client_for(manager)
    url = f"/api/v1/settlements/{case.pk}"
    bad = post(fin, f"{url}/inspection", {"items": [{**DAMAGE, "damage_amount": "-5"}]}, "put")
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"]) == ("negative", "items.0.damage_amount")
    assert not InspectionItem.objects.exists()
    ok = post(fin, f"{url}/inspection", {"items": [DAMAGE], "version": 1}, "put")
    assert ok.status_code == 200
    assert [(i["area"], i["damage_amount"]) for i in ok.json()["items"]] == [("客厅", "450.50")]
    prepared = post(fin, f"{url}/prepare", {"version": 2})
    assert prepared.status_code == 200
    statement = prepared.json()["statement"]
    assert (statement["totals"]["still_owed"], statement["totals"]["deposit_offset"]) == (
        "3650.50",
        "3200.00",
    )
    assert prepared.json()["still_owed"] == "3650.50"
    pdf = fin.get(f"{url}/statement.pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    # The preparer cannot approve; a reason is required to reject.
    self_approval = post(fin, f"{url}/approve")
    assert (self_approval.status_code, self_approval.json()["code"]) == (403, "forbidden")
    no_reason = post(mgr, f"{url}/reject", {"reason": ""})
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    approved = post(mgr, f"{url}/approve", {"version": 3})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert approved.json()["approved_by"] == "manager"
    closed = post(fin, f"{url}/close", {})
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    billed.refresh_from_db()
    assert billed.status == "terminated"


def test_a_preparer_who_may_approve_gets_a_clear_code(case, manager):
    client = client_for(manager)
    post(client, f"/api/v1/settlements/{case.pk}/inspection", {"items": []}, "put")
    post(client, f"/api/v1/settlements/{case.pk}/prepare")
    response = post(client, f"/api/v1/settlements/{case.pk}/approve")
    assert response.status_code == 403
    assert (response.json()["code"], response.json()["field"]) == (
        "preparer_cannot_approve",
        "approved_by",
    )


def test_stale_approval_is_a_409(case, finance, manager, billed):
    services.settlement_inspect(case=case, by=finance, items=[])
    services.settlement_prepare(case=case, by=finance)
    billing_services.payment_record(by=finance, lease_id=billed.pk, channel="cash", amount="1")
    response = post(client_for(manager), f"/api/v1/settlements/{case.pk}/approve")
    assert (response.status_code, response.json()["code"]) == (409, "stale_statement")


def test_list_filters_by_status(case, billed, finance, make_lease):
    other = services.settlement_open(lease=make_lease(unit="u3"), by=finance)
    services.settlement_cancel(case=other, by=finance, reason="误开")
    client = client_for(finance)
    body = client.get("/api/v1/settlements", {"status": "open"}).json()
    assert (body["total"], [c["id"] for c in body["items"]]) == (1, [case.pk])
    assert client.get("/api/v1/settlements").json()["total"] == 2


# Credit-report export -----------------------------------------------------------------------


def expected_csv(case, id_number: str) -> bytes:
    lease = case.lease
    (mar,) = (b for b in lease.bills.filter(kind="rent") if b.status == "open")
    damage = lease.bills.get(kind="other")
    bills = (
        f"#{mar.pk} 租金 2026-03-01~2026-03-31 {mar.amount - mar.paid_amount}; "
        f"#{damage.pk} 其他费用 2026-03-31~2026-03-31 450.50"
    )
    return (
        "\ufeff"
        "客户名称,证件类型,证件号码,租约编号,房源,退租日期,欠款金额,逾期起始日,欠费账单\r\n"
        f"李雷,居民身份证,{id_number},{lease.code},1号楼 101,2026-03-31,3650.50,"
        f"{mar.due_date.isoformat()},{bills}\r\n"
    ).encode()


def test_credit_report_csv_full_id_for_finance(closed_owing, finance):
    client = client_for(finance)
    response = exported(client, client.get("/api/v1/settlements/credit-report.csv"), finance)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    customer = closed_owing.customer
    assert response.content == expected_csv(closed_owing, customer.id_number)
    event = AuditEvent.objects.get(action="settlement.credit_export")
    assert (event.actor_id, event.changes) == (
        finance.pk,
        {"cases": [closed_owing.pk], "rows": 1, "id_numbers": "full", "amount_owed": "3650.50"},
    )


def test_credit_report_masks_id_numbers_without_pii_view(closed_owing, manager):
    number = closed_owing.customer.id_number
    masked = number[:3] + "*" * (len(number) - 7) + number[-4:]
    client = client_for(manager)
    response = exported(client, client.post("/billing/settlements/credit-report/"), manager)
    assert response.status_code == 200
    assert response.content == expected_csv(closed_owing, masked)
    assert AuditEvent.objects.get(action="settlement.credit_export").changes["id_numbers"] == (
        "masked"
    )


def test_credit_report_leaves_out_settled_debts(closed_owing, finance):
    billing_services.payment_record(
        by=finance, lease_id=closed_owing.lease_id, channel="cash", amount="3650.50"
    )
    client = client_for(finance)
    content = exported(client, client.get("/api/v1/settlements/credit-report.csv"), finance).content
    assert content.decode("utf-8").count("\r\n") == 1  # the header only


# Pages --------------------------------------------------------------------------------------


def test_list_and_detail_pages(case, finance):
    client = client_for(finance)
    page = client.get("/billing/settlements/")
    assert page.status_code == 200
    assert f'href="/billing/settlements/{case.pk}/"' in page.content.decode()
    detail = client.get(f"/billing/settlements/{case.pk}/").content.decode()
    assert "<title>退租清算 #" in detail
    assert 'id="inspection-form"' in detail
    assert 'id="preview-total-owed">¥6,400.00<' in detail
    assert 'id="preview-deposit-offset">¥3,200.00<' in detail
    assert 'id="preview-still-owed">¥3,200.00<' in detail


def test_open_page_creates_a_case_from_a_lease_number(billed, finance):
    client = client_for(finance)
    assert client.get(f"/billing/settlements/new/?lease={billed.pk}").status_code == 200
    response = client.post(
        "/billing/settlements/new/",
        {"lease": billed.code, "move_out_date": "2026-03-31", "reason": ""},
    )
    case = SettlementCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/billing/settlements/{case.pk}/"
    bad = client.post("/billing/settlements/new/", {"lease": "L1999-000001"})
    assert bad.status_code == 422
    assert bad.context["form"].errors["lease"]


def test_checklist_form_puts_the_error_on_the_row(case, finance):
    client = client_for(finance)
    data = {
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "200",
        "items-0-area": "客厅",
        "items-0-item": "墙面",
        "items-0-condition": "damaged",
        "items-0-damage_amount": "-3",
        "items-1-area": "",
        "items-1-condition": "ok",
        "version": "1",
        "move_out_date": "2026-03-31",
    }
    response = client.post(f"/billing/settlements/{case.pk}/inspect/", data)
    assert response.status_code == 422
    assert response.context["items_formset"].forms[0].errors == {"damage_amount": ["不能为负数。"]}
    assert not InspectionItem.objects.exists()
    data["items-0-damage_amount"] = "200.00"
    response = client.post(f"/billing/settlements/{case.pk}/inspect/", data)
    assert response.status_code == 302
    assert list(InspectionItem.objects.values_list("area", "damage_amount")) == [
        ("客厅", __import__("decimal").Decimal("200.00"))
    ]


def test_page_buttons_follow_capability_and_four_eyes(case, finance, manager):
    services.settlement_inspect(case=case, by=finance, items=[])
    services.settlement_prepare(case=case, by=finance)
    as_preparer = client_for(finance).get(f"/billing/settlements/{case.pk}/").content.decode()
    assert 'id="approve-button"' not in as_preparer
    assert 'id="four-eyes-note"' in as_preparer
    assert 'id="statement-pdf"' in as_preparer
    as_checker = client_for(manager).get(f"/billing/settlements/{case.pk}/").content.decode()
    assert 'id="approve-button"' in as_checker
    assert 'id="reject-form"' in as_checker
    response = client_for(manager).post(f"/billing/settlements/{case.pk}/reject/", {"version": 3})
    assert response.status_code == 422
    assert response.context["reject_form"].errors["reason"]
    response = client_for(manager).post(
        f"/billing/settlements/{case.pk}/approve/", {"version": case.version + 2}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "approved"


def test_credit_report_cells_cannot_start_a_formula(closed_owing, finance):
    customer = closed_owing.customer
    customer.name = "=HYPERLINK(1)"
    customer.save()
    client = client_for(finance)
    response = exported(client, client.get("/api/v1/settlements/credit-report.csv"), finance)
    content = response.content.decode()
    assert content.splitlines()[1].startswith("'=HYPERLINK(1),")


def test_statement_pdf_page_download(case, finance, org):
    client = client_for(finance)
    assert client.get(f"/billing/settlements/{case.pk}/statement.pdf").status_code == 404
    services.settlement_inspect(case=case, by=finance, items=[])
    services.settlement_prepare(case=case, by=finance)
    response = client.get(f"/billing/settlements/{case.pk}/statement.pdf")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content.startswith(b"%PDF-")
    outsider = client_for(make_user(OrganizationFactory(), "finance", username="outsider"))
    assert outsider.get(f"/billing/settlements/{case.pk}/statement.pdf").status_code == 404


def test_close_page_without_refund_channel_keeps_the_error_on_the_field(
    case, finance, manager, billed
):
    billing_services.payment_record(
        by=finance, lease_id=billed.pk, channel="cash", amount="6400.00"
    )
    services.settlement_inspect(case=case, by=finance, items=[])
    services.settlement_prepare(case=case, by=finance)
    case = services.settlement_approve(case=case, by=manager)
    client = client_for(finance)
    response = client.post(
        f"/billing/settlements/{case.pk}/close/", {"version": case.version, "refund_channel": ""}
    )
    assert response.status_code == 422
    assert response.context["close_form"].errors == {"refund_channel": ["请选择押金退还渠道。"]}
    response = client.post(
        f"/billing/settlements/{case.pk}/close/",
        {"version": case.version, "refund_channel": "alipay", "refund_reference": "ALI-1"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
