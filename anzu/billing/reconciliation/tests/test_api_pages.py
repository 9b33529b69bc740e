"""HTTP: the statement API and pages, with access per role and organization."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anzu.billing.models import Bill, Payment
from anzu.billing.reconciliation.models import StatementImport, StatementLine
from anzu.common.testing import make_user

from .helpers import DATA, client_for, csv_file

pytestmark = pytest.mark.django_db

MIXED = csv_file(
    "2026-03-09,HX1,李雷,6222020200112233445,3200.00,L2026-000001 房租",
    "2026-03-10,HX2,王五,6217000010001234567,1000.00,转账",
    "2026-03-10,HX3,,,-15.00,手续费",
)


def upload(client, data: bytes = MIXED, name: str = "stmt.csv", **extra):
    return client.post("/api/v1/statements", {"file": SimpleUploadedFile(name, data), **extra})


def post_json(client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


# API ---------------------------------------------------------------------------------------


def test_api_upload_list_and_lines(billed, finance):
    client = client_for(finance, "en")
    res = upload(client)
    assert res.status_code == 201
    body = res.json()
    assert body["created"] is True
    assert body["counts"] == {"lines": 3, "matched": 1, "review": 1, "duplicates": 0, "ignored": 1}
    assert (body["file_name"], body["format"], body["uploaded_by"]) == (
        "stmt.csv",
        "csv",
        "finance",
    )
    res = client.get("/api/v1/statements")
    assert (res.status_code, res.json()["total"]) == (200, 1)
    res = client.get(f"/api/v1/statements/{body['id']}/lines")
    items = res.json()["items"]
    assert [(i["line_number"], i["status"]) for i in items] == [
        (2, "matched"),
        (3, "review"),
        (4, "ignored"),
    ]
    first = items[0]
    assert (first["amount"], first["lease_code"], first["customer_name"]) == (
        "3200.00",
        "L2026-000001",
        "李雷",
    )
    assert first["payment_id"] == Payment.objects.get().pk
    assert first["payer_account"] == "6222020200112233445"  # finance sees personal data
    assert first["reasons"] == ["Best candidate, score 100"]
    bill = Bill.objects.filter(lease=billed, kind="deposit").get()
    assert first["candidates"][0]["reasons"] == [
        "Lease code L2026-000001 in the memo",
        f"Payer is the customer; amount equals the outstanding amount of bill #{bill.pk}",
    ]
    res = client.get(f"/api/v1/statements/{body['id']}/lines", {"status": "ignored"})
    assert [i["line_number"] for i in res.json()["items"]] == [4]


def test_api_same_file_again_is_409_naming_the_first_import(billed, finance):
    client = client_for(finance)
    first = upload(client).json()
    res = upload(client, name="again.csv")
    assert res.status_code == 409
    body = res.json()
    assert (body["code"], body["field"]) == ("already_imported", "file")
    assert body["statement_import"]["id"] == first["id"]
    assert StatementImport.objects.count() == 1
    assert Payment.objects.count() == 1


def test_api_malformed_file_is_422_and_writes_nothing(billed, finance):
    res = upload(client_for(finance, "en"), csv_file("2026-02-30,HX1,李雷,,1.00,x"), name="bad.csv")
    assert res.status_code == 422
    body = res.json()
    assert (body["code"], body["field"]) == ("invalid_date", "file")
    assert (
        body["message"]
        == "bad.csv, line 2, column 交易日期: '2026-02-30' is not a date (use YYYY-MM-DD)."
    )
    assert body["errors"][0]["line"] == 2
    assert not StatementImport.objects.exists()


def test_api_wrong_type_and_size(billed, finance, settings):
    client = client_for(finance)
    res = upload(client, b"%PDF-1.4", name="stmt.pdf")
    assert (res.status_code, res.json()["code"], res.json()["field"]) == (422, "wrong_type", "file")
    settings.UPLOAD_MAX_BYTES = 1024
    res = upload(client, MIXED + b" " * 2000)
    assert (res.status_code, res.json()["code"]) == (422, "too_large")
    res = client.post("/api/v1/statements", {})
    assert (res.status_code, res.json()["code"]) == (422, "required")
    assert not StatementImport.objects.exists()


def test_api_mt940_upload(billed, finance):
    res = upload(
        client_for(finance), (DATA / "cmb_20260310.sta").read_bytes(), name="cmb_20260310.sta"
    )
    assert res.status_code == 201
    assert res.json()["counts"]["lines"] == 4


def test_api_review_assign_and_ignore(billed, finance):
    client = client_for(finance)
    upload(client)
    upload(client, csv_file("2026-03-10,HX9,赵六,,50.00,不明"), name="two.csv")
    res = client.get("/api/v1/statements/review")
    items = res.json()["items"]
    assert [i["bank_reference"] for i in items] == ["HX2", "HX9"]
    assert items[0]["candidates"] == []
    line_id, other_id = items[0]["id"], items[1]["id"]
    res = post_json(client, f"/api/v1/statement-lines/{line_id}/assign", {"lease_id": billed.pk})
    assert res.status_code == 200
    body = res.json()
    assert (body["status"], body["match_method"], body["lease_id"]) == (
        "resolved",
        "manual",
        billed.pk,
    )
    assert Payment.objects.get(pk=body["payment_id"]).amount == Decimal("1000.00")
    res = post_json(client, f"/api/v1/statement-lines/{line_id}/assign", {"lease_id": billed.pk})
    assert (res.status_code, res.json()["code"]) == (409, "already_resolved")
    res = post_json(client, f"/api/v1/statement-lines/{other_id}/ignore", {"reason": ""})
    assert (res.status_code, res.json()["field"], res.json()["code"]) == (422, "reason", "required")
    res = post_json(client, f"/api/v1/statement-lines/{other_id}/ignore", {"reason": "内部转账"})
    assert (res.status_code, res.json()["status"], res.json()["note"]) == (
        200,
        "ignored",
        "内部转账",
    )
    res = post_json(client, f"/api/v1/statement-lines/{other_id}/ignore", {"reason": "again"})
    assert res.status_code == 409
    assert client.get("/api/v1/statements/review").json()["total"] == 0


def test_api_assign_unknown_field_is_refused(billed, finance):
    client = client_for(finance)
    upload(client)
    line = StatementLine.objects.get(status="review")
    res = post_json(client, f"/api/v1/statement-lines/{line.pk}/assign", {"lease": 1})
    assert (res.status_code, res.json()["code"]) == (422, "unknown_field")


def test_api_frontline_is_403(billed, org):
    client = client_for(make_user(org, "frontline"))
    assert client.get("/api/v1/statements").status_code == 403
    assert upload(client).status_code == 403
    assert client.get("/api/v1/statements/review").status_code == 403
    assert not StatementImport.objects.exists()


def test_api_another_organization_is_404(billed, finance, other_org):
    upload(client_for(finance))
    statement = StatementImport.objects.get()
    line = StatementLine.objects.get(status="review")
    client = client_for(make_user(other_org, "finance", username="outsider"))
    assert client.get(f"/api/v1/statements/{statement.pk}").status_code == 404
    assert client.get(f"/api/v1/statements/{statement.pk}/lines").status_code == 404
    res = post_json(client, f"/api/v1/statement-lines/{line.pk}/assign", {"lease_id": billed.pk})
    assert (res.status_code, res.json()["code"]) == (404, "not_found")
    res = post_json(client, f"/api/v1/statement-lines/{line.pk}/ignore", {"reason": "x"})
    assert res.status_code == 404
    assert client.get("/api/v1/statements").json()["total"] == 0
    line.refresh_from_db()
    assert line.status == "review"


def test_api_admin_sees_masked_payer_accounts(billed, finance, admin_user):
    upload(client_for(finance))
    items = client_for(admin_user).get("/api/v1/statements/review").json()["items"]
    assert items[0]["payer_account"] == "621************4567"
    assert items[0]["amount"] == "1000.00"


def test_api_requires_authentication(db):
    res = upload(__import__("django.test", fromlist=["Client"]).Client())
    assert res.status_code == 401


# Pages -------------------------------------------------------------------------------------


def test_list_page_and_upload(billed, finance):
    client = client_for(finance)
    res = client.get("/billing/statements/")
    assert res.status_code == 200
    assert "银行流水" in res.content.decode() or "Bank statements" in res.content.decode()
    res = client.post(
        "/billing/statements/", {"file": SimpleUploadedFile("stmt.csv", MIXED), "account": ""}
    )
    statement = StatementImport.objects.get()
    assert res.status_code == 302
    assert res["Location"] == f"/billing/statements/{statement.pk}/"
    page = client.get(res["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="line-' in html
    assert "L2026-000001" in html
    assert 'id="count-matched">1<' in html
    # The same file again: a message, the first import, nothing new.
    res = client.post("/billing/statements/", {"file": SimpleUploadedFile("x.csv", MIXED)})
    assert res["Location"] == f"/billing/statements/{statement.pk}/"
    assert StatementImport.objects.count() == 1


def test_list_page_shows_the_problem_on_the_file_field(billed, finance):
    client = client_for(finance)
    bad = csv_file("2026-03-10,HX1,,,abc,x", "2026-03-11,HX2,,,def,y")
    res = client.post("/billing/statements/", {"file": SimpleUploadedFile("bad.csv", bad)})
    assert res.status_code == 422
    assert res.context["form"].errors["file"] == ["bad.csv，第 2 行，“金额”列：'abc' 不是金额。"]
    assert [p["line"] for p in res.context["problems"]] == [3]
    assert not StatementImport.objects.exists()


def test_review_page_assign_and_ignore(billed, finance):
    client = client_for(finance)
    upload(client)
    line = StatementLine.objects.get(status="review")
    res = client.get("/billing/statements/review/")
    assert res.status_code == 200
    assert f'id="review-{line.pk}"' in res.content.decode()
    # No lease chosen: the error is on the form, status 422, nothing written.
    res = client.post(f"/billing/statements/lines/{line.pk}/assign/", {})
    assert res.status_code == 422
    form = res.context["rows"][0]["assign_form"]
    assert form.errors["lease_id"] == ["请选择租约或客户。"]
    res = client.post(
        f"/billing/statements/lines/{line.pk}/assign/",
        {f"assign-{line.pk}-lease_code": "L2026-000001"},
    )
    assert (res.status_code, res["Location"]) == (302, "/billing/statements/review/")
    line.refresh_from_db()
    assert (line.status, line.lease_id) == ("resolved", billed.pk)
    res = client.post(
        f"/billing/statements/lines/{line.pk}/ignore/", {f"ignore-{line.pk}-reason": "x"}
    )
    assert res.status_code == 302
    line.refresh_from_db()
    assert line.status == "resolved"


def test_review_page_ignore_needs_a_reason(billed, finance):
    client = client_for(finance)
    upload(client)
    line = StatementLine.objects.get(status="review")
    res = client.post(f"/billing/statements/lines/{line.pk}/ignore/", {})
    assert res.status_code == 422
    assert res.context["rows"][0]["ignore_form"].errors["reason"] == ["请填写原因。"]
    res = client.post(
        f"/billing/statements/lines/{line.pk}/ignore/", {f"ignore-{line.pk}-reason": "退款"}
    )
    assert res.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.note) == ("ignored", "退款")


def test_pages_frontline_403_and_other_org_404(billed, finance, org, other_org):
    upload(client_for(finance))
    statement = StatementImport.objects.get()
    line = StatementLine.objects.get(status="review")
    frontline = client_for(make_user(org, "frontline"))
    for url in (
        "/billing/statements/",
        "/billing/statements/review/",
        f"/billing/statements/{statement.pk}/",
    ):
        assert frontline.get(url).status_code == 403
    outsider = client_for(make_user(other_org, "finance", username="outsider"))
    assert outsider.get(f"/billing/statements/{statement.pk}/").status_code == 404
    res = outsider.post(f"/billing/statements/lines/{line.pk}/assign/", {})
    assert res.status_code == 404
    assert outsider.get("/billing/statements/").status_code == 200


def test_menu_entry_points_to_the_list(billed, finance):
    html = client_for(finance).get("/billing/statements/review/").content.decode()
    assert 'href="/billing/statements/"' in html
