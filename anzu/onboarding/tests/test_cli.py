from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from anzu.core.models import AuditEvent
from anzu.onboarding.models import ImportJob
from anzu.onboarding.tests.helpers import (
    csv_file,
    customer_row,
    db_counts,
    lease_row,
    unit_row,
    workbook,
)

pytestmark = pytest.mark.django_db


def _call(*args):
    out = io.StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def _good_file(tmp_path):
    path = tmp_path / "onboarding.xlsx"
    path.write_bytes(
        workbook(
            units=[unit_row("101"), unit_row("102")],
            customers=[customer_row(1)],
            leases=[lease_row("101", 1, status="draft")],
        )
    )
    return path


def test_cli_imports_and_prints_a_summary(org, manager, tmp_path, imports_unguarded):
    path = _good_file(tmp_path)
    output = _call(str(path), "--org", org.slug, "--user", manager.username)
    assert "done" in output
    assert "units      created      2  updated      0  unchanged      0" in output
    assert "leases     created      1" in output
    job = ImportJob.objects.get()
    assert job.created_by == manager and job.status == "done" and job.payload is None
    assert AuditEvent.objects.filter(action="import.unit.create", actor=manager).count() == 2
    again = _call(str(path), "--org", org.slug)
    assert "units      created      0  updated      0  unchanged      2" in again
    assert AuditEvent.objects.filter(action__startswith="import.unit").count() == 2


def test_cli_without_org_uses_the_only_one_and_records_system(org, tmp_path):
    _call(str(_good_file(tmp_path)))
    event = AuditEvent.objects.filter(action="import.unit.create").first()
    assert event is not None and event.actor_id is None and event.actor_label == "system"


def test_cli_reports_errors_by_row_and_column_and_exits_non_zero(org, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(csv_file("units", [unit_row("101"), unit_row("101", list_rent="-1")]))
    before = db_counts()
    out = io.StringIO()
    with pytest.raises(CommandError) as err:
        call_command("import", str(path), "--org", org.slug, stdout=out)
    assert err.value.returncode == 1
    text = out.getvalue()
    assert "units row 3 [房间编码 unit_code]: Duplicate unit code 101" in text
    assert "units row 3 [挂牌租金 list_rent]: Must not be negative." in text
    assert "Nothing was imported." in str(err.value)
    assert {k: v for k, v in db_counts().items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    # Only the job itself is recorded.
    assert AuditEvent.objects.exclude(action="import.job.create").count() == before["audit"]


def test_cli_partial_and_dry_run(org, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(csv_file("units", [unit_row("101"), unit_row("102", floor="x")]))
    with pytest.raises(CommandError):
        call_command("import", str(path), "--dry-run", "--kind", "units", stdout=io.StringIO())
    assert db_counts()["units"] == 0
    with pytest.raises(CommandError) as err:
        call_command("import", str(path), "--partial", stdout=io.StringIO())
    assert err.value.returncode == 3
    assert db_counts()["units"] == 1


def test_cli_bad_file_and_arguments(org, tmp_path):
    bad = tmp_path / "units.txt"
    bad.write_text("x")
    with pytest.raises(CommandError, match="Unsupported file type"):
        _call(str(bad))
    with pytest.raises(CommandError, match="no such file"):
        _call(str(tmp_path / "missing.xlsx"))
    with pytest.raises(CommandError, match="no organization"):
        _call(str(_good_file(tmp_path)), "--org", "nope")
    with pytest.raises(CommandError, match="no user"):
        _call(str(_good_file(tmp_path)), "--user", "nobody")


def test_cli_several_orgs_need_org(org, other_org, tmp_path):
    with pytest.raises(CommandError, match="--org"):
        _call(str(_good_file(tmp_path)))


def test_cli_writes_the_template(tmp_path, db):
    out = tmp_path / "template.xlsx"
    text = _call("--template", str(out))
    assert "Template written" in text
    assert "房源 units" in load_workbook(out).sheetnames


def test_cli_import_by_a_user_waits_for_a_second_person(org, manager, tmp_path):
    from anzu.risk.approvals.models import ApprovalRequest
    from anzu.risk.approvals.testing import approve_as

    before = db_counts()
    output = _call(str(_good_file(tmp_path)), "--org", org.slug, "--user", manager.username)
    request = ApprovalRequest.objects.get(action="onboarding.import")
    assert f"request #{request.pk} waits for a checker" in output
    assert db_counts()["units"] == before["units"]
    job = ImportJob.objects.get()
    assert job.status == "approval" and job.payload
    done = approve_as(request)
    assert isinstance(done, ImportJob) and done.status == "done" and done.payload is None
    assert db_counts()["units"] == before["units"] + 2
    assert AuditEvent.objects.filter(action="import.unit.create", actor=manager).count() == 2
