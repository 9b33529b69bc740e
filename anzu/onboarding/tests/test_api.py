from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anzu.common.testing import make_user
from anzu.core.tokens import token_create
from anzu.onboarding.models import ImportJob
from anzu.onboarding.tests.helpers import (
    csv_file,
    customer_row,
    db_counts,
    lease_row,
    unit_row,
    workbook,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("anzu.onboarding.tests.urls_api")]


def _auth(user):
    _token, raw = token_create(user=user, name="import")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _post(client, headers, data, name="onboarding.xlsx", **fields):
    return client.post(
        "/api/v1/imports", {"file": SimpleUploadedFile(name, data), **fields}, **headers
    )


def test_upload_creates_a_job_and_reports_it(
    client, manager, django_capture_on_commit_callbacks, imports_unguarded
):
    headers = _auth(manager)
    data = workbook(
        units=[unit_row("101"), unit_row("102")],
        customers=[customer_row(1)],
        leases=[lease_row("101", 1)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, headers, data)
    assert response.status_code == 202, response.content
    body = response.json()
    job_id = body["id"]
    detail = client.get(f"/api/v1/imports/{job_id}", **headers)
    assert detail.status_code == 200
    job = detail.json()
    assert job["status"] == "done" and job["progress"] == 100
    assert job["counts"]["units"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert job["counts"]["leases"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert job["errors"] == [] and job["created_by"] == manager.username
    listing = client.get("/api/v1/imports", **headers).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == job_id


def test_errors_are_returned_by_sheet_row_and_column(
    client, manager, django_capture_on_commit_callbacks, imports_unguarded
):
    headers = _auth(manager)
    data = csv_file("units", [unit_row("101", list_rent="abc")])
    before = db_counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, headers, data, name="units.csv", kind="units")
    job = client.get(f"/api/v1/imports/{response.json()['id']}", **headers).json()
    assert job["status"] == "failed"
    assert job["errors"] == [
        {
            "sheet": "units",
            "kind": "units",
            "row": 2,
            "column": "挂牌租金 list_rent",
            "code": "invalid",
            "message": "Enter a number.",
        }
    ]
    assert db_counts()["units"] == before["units"]


def test_bad_upload_is_a_422_naming_the_file(client, manager):
    headers = _auth(manager)
    response = _post(client, headers, b"PK\x03\x04garbage", name="units.csv")
    assert response.status_code == 422
    assert response.json()["code"] == "wrong_type"
    assert response.json()["field"] == "file"
    response = _post(client, headers, b"x", name="units.csv", kind="nonsense")
    assert response.status_code == 422 and response.json()["field"] == "kind"
    assert not ImportJob.objects.exists()


def test_template_download(client, manager):
    response = client.get("/api/v1/imports/template", **_auth(manager))
    assert response.status_code == 200
    assert response.content[:4] == b"PK\x03\x04"
    assert "anzu-import-template.xlsx" in response["Content-Disposition"]


def test_access(client, org, other_org, manager):
    foreign = ImportJob.objects.create(
        organization=other_org, file_name="x.csv", sha256="0" * 64, status="done"
    )
    assert client.get(f"/api/v1/imports/{foreign.pk}", **_auth(manager)).status_code == 404
    assert client.get("/api/v1/imports/999999", **_auth(manager)).status_code == 404
    finance = make_user(org, "finance", username="fin")
    response = _post(client, _auth(finance), csv_file("units", [unit_row()]), name="u.csv")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert client.get("/api/v1/imports/template", **_auth(finance)).status_code == 403
    assert client.get("/api/v1/imports").status_code == 401


def test_openapi_documents_the_multipart_upload(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/imports", "/api/v1/imports/template", "/api/v1/imports/{job_id}"} <= set(
        schema["paths"]
    )
    body = schema["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
