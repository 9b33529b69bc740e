"""Approval pages and API: lists, the diff a checker sees, decisions, scope, the menu badge,
the download of an approved export."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from anzu.common.testing import lease_data, make_user
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.tests.conftest import client_for

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def request_(portfolio: dict[str, Any], clerk: Any) -> ApprovalRequest:
    data = lease_data(portfolio["u2"], portfolio["customer"], monthly_rent="4100.00")
    return leasing_services.lease_create(by=clerk, data=data)


def test_pending_for_me_shows_the_diff_in_chinese_and_the_menu_badge(request_, manager, clerk):
    page = client_for(manager).get(reverse("approvals:pending"))
    html = page.content.decode()
    assert page.status_code == 200
    assert [r["id"] for r in page.context["rows"]] == [request_.pk]
    assert "月租金" in html and "4100.00" in html
    assert "审批 (1)" in html
    # The maker does not see their own request as waiting for them.
    mine = client_for(clerk).get(reverse("approvals:pending"))
    assert mine.context["rows"] == []
    assert [r["id"] for r in client_for(clerk).get(reverse("approvals:mine")).context["rows"]] == [
        request_.pk
    ]


def test_amounts_in_the_diff_are_hidden_without_amounts_view(request_, org):
    frontline = make_user(org, "frontline", username="fl")
    body = client_for(frontline).get(f"/api/v1/approvals/{request_.pk}").json()
    rent = next(d for d in body["diff"] if d["field"] == "monthly_rent")
    assert rent["after"] == "***"
    assert body["amount"] is None


def test_decide_through_the_page(request_, manager):
    client = client_for(manager)
    detail = client.get(reverse("approvals:detail", args=[request_.pk]))
    assert 'id="decision-form"' in detail.content.decode()
    refused = client.post(reverse("approvals:decide", args=[request_.pk, "reject"]), {"reason": ""})
    assert refused.status_code == 422
    assert refused.context["form"].errors["reason"]
    assert ApprovalRequest.objects.get(pk=request_.pk).status == "pending"
    done = client.post(reverse("approvals:decide", args=[request_.pk, "approve"]), {"reason": "ok"})
    assert done.status_code == 302
    assert ApprovalRequest.objects.get(pk=request_.pk).status == "executed"
    assert Lease.objects.filter(unit_id=request_.args["data"]["unit_id"]).exists()


def test_api_list_detail_reject_cancel(request_, manager, clerk):
    checker = client_for(manager)
    listed = checker.get("/api/v1/approvals?pending_for_me=true").json()
    assert set(listed) == {"items", "page", "page_size", "total"}
    assert [i["id"] for i in listed["items"]] == [request_.pk]
    bad = checker.post(f"/api/v1/approvals/{request_.pk}/reject", data={}, content_type=JSON)
    assert (bad.status_code, bad.json()["field"]) == (422, "reason")
    other = client_for(clerk).post(
        f"/api/v1/approvals/{request_.pk}/cancel", data={"reason": "写错了"}, content_type=JSON
    )
    assert (other.status_code, other.json()["status"]) == (200, "cancelled")
    late = checker.post(f"/api/v1/approvals/{request_.pk}/approve", data={}, content_type=JSON)
    assert (late.status_code, late.json()["code"]) == (409, "not_pending")


def test_another_organization_gets_404(request_, other_org):
    outsider = make_user(other_org, "admin", username="outsider")
    client = client_for(outsider)
    assert client.get(f"/api/v1/approvals/{request_.pk}").status_code == 404
    approve = client.post(f"/api/v1/approvals/{request_.pk}/approve", data={}, content_type=JSON)
    assert approve.status_code == 404
    assert client.get(reverse("approvals:detail", args=[request_.pk])).status_code == 404


def test_out_of_scope_staff_get_404(request_, org, portfolio):
    scoped = make_user(org, "management", username="p2-only", projects=[portfolio["p2"]])
    assert client_for(scoped).get(f"/api/v1/approvals/{request_.pk}").status_code == 404


def test_stale_approval_via_api_is_a_clear_409(request_, manager, clerk, portfolio):
    # Another lease on the unit changes the precondition before the checker decides.
    other = leasing_services.lease_create(
        by=clerk,
        data=lease_data(
            portfolio["u2"], portfolio["customer"], start_date="2027-01-01", end_date="2027-06-30"
        ),
    )
    from anzu.risk.approvals.testing import approve_as

    approve_as(other)
    response = client_for(manager).post(
        f"/api/v1/approvals/{request_.pk}/approve", data={}, content_type=JSON
    )
    assert (response.status_code, response.json()["code"]) == (409, "stale_request")
    assert ApprovalRequest.objects.get(pk=request_.pk).status == "stale"
    assert Lease.objects.filter(unit=portfolio["u2"]).count() == 1


def test_credit_report_export_is_downloaded_by_its_maker_only(org, manager, frozen):
    finance = make_user(org, "finance", username="fin")
    asked = client_for(finance).get("/api/v1/settlements/credit-report.csv")
    assert asked.status_code == 202
    request_id = asked.json()["id"]
    assert client_for(finance).get(f"/api/v1/approvals/{request_id}/download").status_code == 404
    client_for(manager).post(f"/api/v1/approvals/{request_id}/approve", data={}, content_type=JSON)
    got = client_for(finance).get(f"/api/v1/approvals/{request_id}/download")
    assert got.status_code == 200
    assert got.content.startswith("\ufeff".encode())
    assert client_for(manager).get(f"/api/v1/approvals/{request_id}/download").status_code == 404
    page = client_for(finance).get(reverse("approvals:download", args=[request_id]))
    assert page.status_code == 200


def test_rule_editor_lists_every_guarded_action(admin_user, org):
    from anzu.risk.approvals import registry

    page = client_for(admin_user).get(reverse("approvals:rules"))
    assert page.status_code == 200
    assert {r["rule"]["action"] for r in page.context["rows"]} == set(registry.ACTIONS)
    api = client_for(admin_user).get("/api/v1/approval-rules?page_size=50").json()
    assert api["total"] == len(registry.ACTIONS)
