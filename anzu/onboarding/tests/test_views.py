from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anzu.common.testing import PASSWORD, make_user
from anzu.core.models import AuditEvent
from anzu.onboarding.models import ImportJob
from anzu.onboarding.tests.helpers import (
    customer_row,
    db_counts,
    lease_row,
    unit_row,
    workbook,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_manager(client, manager):
    client.login(username=manager.username, password=PASSWORD)
    return client


def _upload(client, data, name="onboarding.xlsx", **extra):
    return client.post(
        reverse("onboarding:import"),
        {"file": SimpleUploadedFile(name, data), "kind": "auto", **extra},
    )


def test_import_page_shows_the_form_and_template_link(client_manager):
    response = client_manager.get(reverse("onboarding:import"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("onboarding:template") in body
    assert 'enctype="multipart/form-data"' in body


def test_upload_runs_the_job_and_shows_progress_and_report(
    client_manager, django_capture_on_commit_callbacks, imports_unguarded
):
    data = workbook(
        units=[unit_row("101"), unit_row("102")],
        customers=[customer_row(1)],
        leases=[lease_row("101", 1)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client_manager, data)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:job", args=[job.pk])
    assert job.status == "done" and job.progress == 100 and job.payload is None
    assert job.counts["units"] == {"created": 2, "updated": 0, "unchanged": 0}
    page = client_manager.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="job-counts"' in body
    assert "every 1s" not in body  # finished: no more polling
    fragment = client_manager.get(reverse("onboarding:job_progress", args=[job.pk]))
    assert fragment.status_code == 200
    assert fragment.content.decode().lstrip().startswith('<section class="card" id="job-progress"')


def test_a_running_job_polls_every_second(client_manager, manager):
    job = ImportJob.objects.create(
        organization=manager.organization,
        created_by=manager,
        file_name="x.xlsx",
        sha256="0" * 64,
        status="validating",
        progress=40,
    )
    fragment = client_manager.get(reverse("onboarding:job_progress", args=[job.pk]))
    body = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert reverse("onboarding:job_progress", args=[job.pk]) in body
    assert 'value="40"' in body


def test_errors_are_shown_and_downloadable_as_csv(
    client_manager, django_capture_on_commit_callbacks, imports_unguarded
):
    data = workbook(units=[unit_row("101"), unit_row("101")])
    before = db_counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client_manager, data)
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.error_count == 1
    after = db_counts()
    assert after["units"] == before["units"] and after["projects"] == before["projects"]
    assert after["audit"] == before["audit"] + 1  # the job itself
    body = client_manager.get(response["Location"]).content.decode()
    assert 'id="job-errors"' in body and "房间编码 unit_code" in body
    assert "楼栋 B1 中的房间编码 101 重复：已在第 2 行出现。" in body
    client_manager.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch
    english = client_manager.get(response["Location"]).content
    assert "Duplicate unit code 101 in building B1: already on row 2." in english.decode()
    csv_response = client_manager.get(reverse("onboarding:job_errors", args=[job.pk]))
    assert csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "工作表 sheet,行 row,列 column,代码 code,说明 message"
    assert lines[1].startswith("房源 units,3,房间编码 unit_code,duplicate,")


def test_wrong_file_type_is_refused_on_the_form_and_writes_nothing(client_manager):
    before = db_counts()
    response = _upload(client_manager, b"%PDF-1.4", name="units.pdf")
    assert response.status_code == 422
    assert "不支持的文件类型" in response.content.decode()  # the UI speaks Chinese
    assert not ImportJob.objects.exists()
    assert db_counts() == before


def test_oversized_upload_is_refused_on_the_form(client_manager, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = _upload(client_manager, b"a" * 5000, name="units.csv")
    assert response.status_code == 422
    assert "上限为 1,024 字节" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_template_download(client_manager):
    response = client_manager.get(reverse("onboarding:template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:4] == b"PK\x03\x04"


def test_other_organizations_jobs_are_404_and_other_roles_403(client, org, other_org, manager):
    foreign = ImportJob.objects.create(
        organization=other_org, file_name="x.csv", sha256="0" * 64, status="done"
    )
    client.login(username=manager.username, password=PASSWORD)
    for name in ("onboarding:job", "onboarding:job_progress", "onboarding:job_errors"):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404
    client.logout()
    make_user(org, "finance", username="fin")
    client.login(username="fin", password=PASSWORD)
    assert client.get(reverse("onboarding:import")).status_code == 403
    assert client.get(reverse("onboarding:template")).status_code == 403
    client.logout()
    assert client.get(reverse("onboarding:import")).status_code == 302  # to the login page


def test_job_creation_is_audited(client_manager, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client_manager, workbook(units=[unit_row("101")]), partial="on")
    job = ImportJob.objects.get()
    assert job.partial is True
    event = AuditEvent.objects.get(action="import.job.create")
    assert event.actor == manager and event.object_id == str(job.pk)


def test_an_upload_that_writes_waits_for_approval_and_its_page_says_so(client_manager, manager):
    from anzu.risk.approvals.models import ApprovalRequest

    before = db_counts()
    response = _upload(client_manager, workbook(units=[unit_row("101")]))
    request = ApprovalRequest.objects.get(action="onboarding.import")
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:detail", args=[request.pk])
    assert request.maker == manager and request.status == "pending"
    assert db_counts()["units"] == before["units"]
    job = ImportJob.objects.get()
    page = client_manager.get(reverse("onboarding:job", args=[job.pk])).content.decode()
    assert "every 15s" in page and "every 1s" not in page
    assert "本次导入须经第二人审批" in page
    detail = client_manager.get(response["Location"]).content.decode()
    assert job.sha256 in detail
