from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from anzu.common.errors import ValidationFailed
from anzu.onboarding.columns import SHEETS
from anzu.onboarding.reader import FileProblem, sniff
from anzu.onboarding.services import import_file, import_job_create
from anzu.onboarding.template import build_template
from anzu.onboarding.tests.helpers import csv_file, db_counts, unit_row, workbook

pytestmark = pytest.mark.django_db


def _run(org, by, data, name):
    return import_file(organization=org, by=by, name=name, data=data)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("units.pdf", b"%PDF-1.7 ...", "wrong_type"),
        ("units", b"a,b\n", "wrong_type"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "wrong_type"),
        ("units.xlsx", b"project_code,unit_code\nP1,101\n", "wrong_type"),
        ("units.csv", b"PK\x03\x04rest-of-a-zip", "wrong_type"),
        ("units.csv", b"\xff\xfe\xff\xfe\x00\x00", "wrong_type"),
        ("units.csv", b"project_code\xff\xff,unit\n", "encoding"),
        ("units.csv", b"", "empty"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200, "corrupt"),
    ],
)
def test_bad_files_are_refused_with_a_named_problem(org, manager, name, data, code):
    before = db_counts()
    with pytest.raises(FileProblem) as err:
        sniff(name, data, "auto")
    assert err.value.code == code
    assert err.value.field == "file"
    result = _run(org, manager, data, name)
    assert result.message == err.value.message and not result.written
    with pytest.raises(ValidationFailed):
        import_job_create(by=manager, file_name=name, data=data)
    assert db_counts() == before


def test_oversized_upload_is_refused(org, manager, settings):
    settings.UPLOAD_MAX_BYTES = 2048
    data = csv_file("units", [unit_row(str(n)) for n in range(100)])
    assert len(data) > 2048
    with pytest.raises(FileProblem) as err:
        sniff("units.csv", data, "auto")
    assert err.value.code == "too_large"
    assert "2,048" in err.value.message


def test_a_zip_that_is_not_a_workbook_is_refused(org, manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    result = _run(org, manager, buffer.getvalue(), "units.xlsx")
    assert "not an Excel workbook" in result.message


def test_a_workbook_with_damaged_parts_is_refused(org, manager):
    good = workbook(units=[unit_row()])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = body[: len(body) // 2]
            dst.writestr(item, body)
    before = db_counts()
    result = _run(org, manager, buffer.getvalue(), "units.xlsx")
    assert result.message.startswith("The workbook is damaged")
    assert db_counts() == before


def test_too_many_rows_is_refused(org, manager, settings):
    settings.IMPORT_MAX_ROWS = 3
    result = _run(org, manager, workbook(units=[unit_row(str(n)) for n in range(4)]), "u.xlsx")
    assert "more than 3 rows" in result.message
    result = _run(org, manager, csv_file("units", [unit_row(str(n)) for n in range(4)]), "u.csv")
    assert "more than 3 rows" in result.message


def test_a_workbook_without_known_sheets_is_refused(org, manager):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Sheet1"  # type: ignore[union-attr]
    buffer = io.BytesIO()
    wb.save(buffer)
    result = _run(org, manager, buffer.getvalue(), "x.xlsx")
    assert "no sheet named units, customers or leases" in result.message


def test_csv_whose_kind_cannot_be_detected(org, manager):
    result = _run(org, manager, b"foo,bar\n1,2\n", "x.csv")
    assert "choose the kind" in result.message


def test_template_has_three_sheets_headers_comments_and_an_ignored_example(org, manager):
    data = build_template()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["说明 instructions", "房源 units", "租客 customers", "租约 leases"]
    for spec in SHEETS.values():
        ws = wb[spec.title]
        headers = [c.value for c in ws[1]]
        assert headers == [col.header for col in spec.columns]
        assert ws["A1"].comment is not None and spec.columns[0].key in ws["A1"].comment.text
        assert ws.max_row == 2  # header + example
    assert wb["房源 units"]["A1"].value == "项目编码 project_code"
    before = db_counts()
    result = _run(org, manager, data, "anzu-import-template.xlsx")
    assert result.ok and not result.written and result.total_rows == 0
    assert db_counts() == before


def test_filled_in_template_imports(org, manager):
    wb = load_workbook(io.BytesIO(build_template()))
    ws = wb["房源 units"]
    ws["I2"] = "102"  # change the example's unit code: it becomes data
    ws.append(
        [
            "P001",
            "静安示例公寓",
            "上海",
            "B1",
            "1号楼",
            "",
            31.2304,
            121.4737,
            "103",
            1,
            30,
            "",
            2800,
            "",
        ]
    )
    del wb["租约 leases"]
    del wb["租客 customers"]
    buffer = io.BytesIO()
    wb.save(buffer)
    result = _run(org, manager, buffer.getvalue(), "filled.xlsx")
    assert result.ok, result.errors
    assert result.counts["units"]["created"] == 2
