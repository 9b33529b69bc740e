"""Access per role (scope, amounts, identity numbers, full text), audit events of full views
and downloads, API shapes and errors, and the pages."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from anzu.common.testing import make_user
from anzu.contracts import services
from anzu.contracts.choices import FieldStatus
from anzu.contracts.models import Contract, ContractBatch, ContractField
from anzu.contracts.tests.conftest import LEASE_TEXT
from anzu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(
    manager, portfolio, home, fake_engine, django_capture_on_commit_callbacks
) -> dict[str, Contract]:
    """One contract in 静安公寓 1号楼 101 and one in 浦东公寓 2号楼 201."""
    out = {}
    for key, unit, text in (
        ("b1", portfolio["u1"], LEASE_TEXT),
        ("b2", portfolio["u3"], LEASE_TEXT.replace("1202室", "1502室")),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            c = services.contract_upload(
                by=manager, file_bytes=text.encode(), filename=f"{key}.txt", unit_id=unit.pk
            )
        c.refresh_from_db()
        out[key] = c
    return out


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_api_list_shape_and_masking_per_role(org, portfolio, archived):
    finance = client_for(make_user(org, "finance", username="fin"))
    body = finance.get("/api/v1/contracts").json()
    assert set(body) == {"items", "page", "page_size", "total"}
    assert body["total"] == 2
    item = next(i for i in body["items"] if i["id"] == archived["b1"].pk)
    assert item["monthly_rent"] == "6500.00"
    assert item["file_url"] == ""  # finance sees amounts but not the file

    frontline = client_for(make_user(org, "frontline", username="fl", buildings=[portfolio["b1"]]))
    body = frontline.get("/api/v1/contracts").json()
    assert [i["id"] for i in body["items"]] == [archived["b1"].pk]
    assert body["items"][0]["monthly_rent"] is None
    assert body["items"][0]["amounts_hidden"] is True
    assert frontline.get(f"/api/v1/contracts/{archived['b2'].pk}").status_code == 404
    detail = frontline.get(f"/api/v1/contracts/{archived['b1'].pk}").json()
    assert all(f["evidence"] == "" and f["start"] is None for f in detail["fields"])
    rent = next(f for f in detail["fields"] if f["name"] == "monthly_rent")
    assert rent["value"] is None and rent["hidden"] is True
    assert frontline.get(f"/api/v1/contracts/{archived['b1'].pk}/text").status_code == 403
    assert frontline.get(f"/api/v1/contracts/{archived['b1'].pk}/file").status_code == 403


def test_identity_numbers_need_pii_view(org, archived, manager):
    detail = client_for(manager).get(f"/api/v1/contracts/{archived['b1'].pk}").json()
    lessee_id = next(f for f in detail["fields"] if f["name"] == "lessee_id")
    assert lessee_id["value"] != "310104198805061234" and lessee_id["hidden"] is True
    assert lessee_id["evidence"] == ""
    legal = client_for(make_user(org, "legal", username="lg"))
    detail = legal.get(f"/api/v1/contracts/{archived['b1'].pk}").json()
    lessee_id = next(f for f in detail["fields"] if f["name"] == "lessee_id")
    assert lessee_id["value"] == "310104198805061234"


def test_other_organization_is_404(other_org, archived):
    outsider = client_for(make_user(other_org, "legal", username="out"))
    assert outsider.get(f"/api/v1/contracts/{archived['b1'].pk}").status_code == 404
    assert outsider.get("/api/v1/contracts").json()["total"] == 0
    assert outsider.get(f"/contracts/{archived['b1'].pk}/").status_code == 404


def test_full_text_file_and_report_are_audited(org, archived):
    legal_user = make_user(org, "legal", username="lg")
    legal = client_for(legal_user)
    c = archived["b1"]
    body = legal.get(f"/api/v1/contracts/{c.pk}/text").json()
    assert body["text"] == c.text
    assert body["pages"][0]["number"] == 1
    file = legal.get(f"/api/v1/contracts/{c.pk}/file")
    assert file.status_code == 200 and file.content == LEASE_TEXT.encode()
    report = legal.get(f"/api/v1/contracts/{c.pk}/report")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    events = AuditEvent.objects.filter(actor=legal_user, object_id=str(c.pk))
    assert events.filter(action="contract.view_full").count() == 1
    downloads = [e.changes["what"][1] for e in events.filter(action="contract.download")]
    assert sorted(downloads) == ["file", "report"]
    # The detail page shows the full text to legal: one more audit event; finance: none.
    page = legal.get(f"/contracts/{c.pk}/")
    assert page.status_code == 200 and "漕溪北路88号" in page.content.decode()
    assert events.filter(action="contract.view_full").count() == 2
    finance_user = make_user(org, "finance", username="fin")
    page = client_for(finance_user).get(f"/contracts/{c.pk}/")
    assert page.status_code == 200 and "漕溪北路88号" not in page.content.decode()
    assert not AuditEvent.objects.filter(actor=finance_user, action="contract.view_full").exists()


def test_api_upload_errors_and_duplicate(org, manager, home, fake_engine):
    client = client_for(manager)
    bad = client.post(
        "/api/v1/contracts", {"file": SimpleUploadedFile("x.docx", b"PK\x03\x04 word")}
    )
    assert bad.status_code == 422
    assert bad.json() == {
        "code": "unsupported_type",
        "message": bad.json()["message"],
        "field": "file",
    }
    ok = client.post(
        "/api/v1/contracts",
        {"file": SimpleUploadedFile("lease.txt", LEASE_TEXT.encode()), "title": "王晓明租约"},
    )
    assert ok.status_code == 202
    assert ok.json()["title"] == "王晓明租约"
    again = client.post(
        "/api/v1/contracts", {"file": SimpleUploadedFile("b.txt", LEASE_TEXT.encode())}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_archived"
    assert again.json()["contract_id"] == ok.json()["id"]
    missing_unit = client.post(
        "/api/v1/contracts",
        {"file": SimpleUploadedFile("c.txt", (LEASE_TEXT + "附件").encode()), "unit_id": 999999},
    )
    assert missing_unit.status_code == 404 and missing_unit.json()["field"] == "unit_id"
    finance = client_for(make_user(org, "finance", username="fin"))
    refused = finance.post("/api/v1/contracts", {"file": SimpleUploadedFile("d.txt", b"x" * 40)})
    assert refused.status_code == 403


def test_review_queue_api_and_page(org, archived, manager):
    client = client_for(manager)
    queue = client.get("/api/v1/contracts/fields?status=needs_review").json()
    assert queue["total"] == 2 and {i["name"] for i in queue["items"]} == {"monthly_rent"}
    field_id = queue["items"][0]["id"]
    page = client.get("/contracts/review/")
    assert page.status_code == 200 and "6500.00" in page.content.decode()
    bad = client.post(
        f"/api/v1/contracts/fields/{field_id}", {"value": "abc"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"] == "value"
    fixed = client.post(
        f"/api/v1/contracts/fields/{field_id}", {"value": "6600"}, content_type="application/json"
    ).json()
    assert fixed["status"] == "corrected" and fixed["value"] == "6600.00"
    assert fixed["original_value"] == "6500.00"
    other = queue["items"][1]["id"]
    row = client.post(
        f"/contracts/fields/{other}/review/", {"confirm": "1"}, HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200 and f'id="field-row-{other}"' in row.content.decode()
    assert ContractField.objects.get(pk=other).status == FieldStatus.CONFIRMED
    assert client.get("/api/v1/contracts/fields?status=needs_review").json()["total"] == 0
    frontline = client_for(make_user(org, "frontline", username="fl"))
    assert frontline.post(f"/contracts/fields/{other}/review/", {"confirm": "1"}).status_code == 403


def test_pages_render(org, archived, manager, portfolio):
    client = client_for(manager)
    listing = client.get("/contracts/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "静安公寓" in html and "浦东公寓" in html
    assert "合同档案" in html and "归档合同" in html  # Chinese by default
    filtered = client.get(f"/contracts/?project={portfolio['p2'].pk}&risk=high").content.decode()
    assert "浦东公寓" in filtered and "静安公寓</h2>" not in filtered
    assert client.get(f"/contracts/{archived['b1'].pk}/").status_code == 200
    assert client.get("/contracts/rules/").status_code == 200
    assert client.get("/contracts/batches/new/").status_code == 200
    report = client.get(f"/contracts/{archived['b1'].pk}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    upload = client.post("/contracts/upload/", {"file": SimpleUploadedFile("e.gif", b"GIF89a")})
    assert upload.status_code == 422


def test_batch_upload_with_progress(
    org, manager, home, fake_engine, django_capture_on_commit_callbacks
):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("scans/a.txt", LEASE_TEXT)
        z.writestr("scans/b.txt", LEASE_TEXT.replace("王晓明", "李雷"))
        z.writestr("scans/c.doc", b"not a contract")
        z.writestr("__MACOSX/._a.txt", b"junk")
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/contracts/batches",
            {"files": [SimpleUploadedFile("old.zip", archive.getvalue())]},
        )
    assert response.status_code == 202
    batch_id = response.json()["id"]
    body = client.get(f"/api/v1/contracts/batches/{batch_id}").json()
    assert (body["status"], body["total"], body["done"], body["failed"], body["progress"]) == (
        "done",
        3,
        2,
        1,
        100,
    )
    assert body["errors"] == [
        {"file": "scans/c.doc", "code": "unsupported_type", "message": body["errors"][0]["message"]}
    ]
    assert Contract.objects.filter(batch_id=batch_id, status="ready").count() == 2
    page = client.get(f"/contracts/batches/{batch_id}/progress/")
    assert page.status_code == 200 and "scans/c.doc" in page.content.decode()
    assert ContractBatch.objects.get(pk=batch_id).finished_at is not None
    corrupt = client.post(
        "/api/v1/contracts/batches", {"files": [SimpleUploadedFile("x.zip", b"PK\x03\x04 broken")]}
    )
    assert corrupt.status_code == 422 and corrupt.json()["field"] == "files"


def test_batch_page_upload(manager, home, fake_engine, django_capture_on_commit_callbacks):
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/contracts/batches/new/",
            {
                "uploads": [
                    SimpleUploadedFile("a.txt", LEASE_TEXT.encode()),
                    SimpleUploadedFile("b.txt", b"   "),
                ]
            },
        )
    assert response.status_code == 302
    batch = ContractBatch.objects.get()
    assert (batch.done, batch.failed, batch.status) == (1, 1, "done")
    page = client.get(response["Location"]).content.decode()
    assert "b.txt" in page and "empty_contract" in page
    assert client.post("/contracts/batches/new/", {}).status_code == 422
