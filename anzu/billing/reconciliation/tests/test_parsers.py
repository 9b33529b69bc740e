"""The statement parsers on their own: CSV (UTF-8, BOM, GBK), Excel, MT940, malformed files."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from anzu.billing.reconciliation import parsers
from anzu.billing.reconciliation.parsers import ParsedLine, StatementProblem

from .helpers import DATA

pytestmark = pytest.mark.usefixtures("english")
D = dt.date

GBK_STATEMENT = (
    "中国工商银行 账户明细查询\n"
    "账号:,1001234567890123\n"
    "查询区间:,2026-03-01 至 2026-03-10\n"
    "交易日期,交易流水号,对方户名,对方账号,借方金额,贷方金额,摘要,附言\n"
    '2026-03-10,HX001,李雷,6222 0202 0011 2233 445,,"3,200.00",网银转账,L2026-000001 三月房租\n'
    "2026/03/10,HX002,,,15.00,,手续费,\n"
    "20260311,HX003,韩梅梅,6217000010001234567,,￥6400,转账,\n"
    "合计,,,,15.00,9600.00,,\n"
)


def test_gbk_csv_with_chinese_headers_preamble_and_footer():
    statement = parsers.parse_csv(GBK_STATEMENT.encode("gbk"), file_name="icbc.csv")
    assert statement.format == "csv"
    assert statement.account == "1001234567890123"
    assert statement.lines == [
        ParsedLine(
            line_number=5,
            booking_date=D(2026, 3, 10),
            amount=Decimal("3200.00"),
            direction="credit",
            bank_reference="HX001",
            payer_name="李雷",
            payer_account="6222020200112233445",
            memo="网银转账 L2026-000001 三月房租",
        ),
        ParsedLine(
            line_number=6,
            booking_date=D(2026, 3, 10),
            amount=Decimal("15.00"),
            direction="debit",
            bank_reference="HX002",
            memo="手续费",
        ),
        ParsedLine(
            line_number=7,
            booking_date=D(2026, 3, 11),
            amount=Decimal("6400.00"),
            direction="credit",
            bank_reference="HX003",
            payer_name="韩梅梅",
            payer_account="6217000010001234567",
            memo="转账",
        ),
    ]


def test_gb18030_and_utf8_decode_the_same():
    gbk = parsers.parse_csv(GBK_STATEMENT.encode("gb18030"), file_name="a.csv")
    utf8 = parsers.parse_csv(GBK_STATEMENT.encode("utf-8"), file_name="a.csv")
    assert gbk == utf8


def test_utf8_bom_csv_with_english_headers_and_signed_amounts():
    data = (
        "\ufeffDate,Reference,Payer,Account,Amount,Memo,Value date,Currency\n"
        "2026-03-10,R1,Li Lei,6222,3200.00,rent L2026-000001,2026-03-11,CNY\n"
        "2026-03-10,R2,,,-150.00,fee,,CNY\n"
    ).encode()
    lines = parsers.parse_csv(data, file_name="b.csv").lines
    assert [(x.bank_reference, x.amount, x.direction, x.value_date) for x in lines] == [
        ("R1", Decimal("3200.00"), "credit", D(2026, 3, 11)),
        ("R2", Decimal("150.00"), "debit", None),
    ]
    assert lines[0].payer_name == "Li Lei"


def test_direction_column_gives_the_sign():
    data = (
        "记账日期;流水号;付款人;金额(元);借贷标志;用途\n"
        "2026-03-10;A1;李雷;3200.00;贷;房租\n"
        "2026-03-10;A2;;80.00;借;电费代扣\n"
    ).encode()
    lines = parsers.parse_csv(data, file_name="c.csv").lines
    assert [(x.bank_reference, x.direction, x.amount) for x in lines] == [
        ("A1", "credit", Decimal("3200.00")),
        ("A2", "debit", Decimal("80.00")),
    ]


def test_xlsx_with_the_same_headers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["招商银行交易明细"])
    sheet.append(["账号", "310066726018010012345"])
    sheet.append(["交易日期", "流水号", "付款人", "对方账号", "贷方金额", "借方金额", "附言"])
    booked = dt.datetime(2026, 3, 10, 9, 30)  # noqa: DTZ001 (Excel cells have no zone)
    sheet.append([booked, "X1", "李雷", "6222", 3200, None, "L2026-000001"])
    sheet.append(["2026-03-11", "X2", None, None, None, 12.5, "短信费"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    statement = parsers.parse_xlsx(buffer.getvalue(), file_name="cmb.xlsx")
    assert statement.format == "xlsx"
    assert statement.account == "310066726018010012345"
    assert [
        (x.line_number, x.booking_date, x.amount, x.direction, x.memo) for x in statement.lines
    ] == [
        (4, D(2026, 3, 10), Decimal("3200.00"), "credit", "L2026-000001"),
        (5, D(2026, 3, 11), Decimal("12.50"), "debit", "短信费"),
    ]


def test_mt940_sample():
    statement = parsers.parse_mt940(
        (DATA / "cmb_20260310.sta").read_bytes(), file_name="cmb_20260310.sta"
    )
    assert statement.format == "mt940"
    assert statement.account == "310066726018010012345"
    assert statement.lines == [
        ParsedLine(
            line_number=6,
            booking_date=D(2026, 3, 10),
            value_date=D(2026, 3, 10),
            amount=Decimal("3200.00"),
            direction="credit",
            bank_reference="CMB2603100001",
            payer_name="李雷",
            payer_account="6222020200112233445",
            memo="L2026-000001 三月房租",
        ),
        ParsedLine(
            line_number=8,
            booking_date=D(2026, 3, 10),
            value_date=D(2026, 3, 10),
            amount=Decimal("6400.00"),
            direction="credit",
            bank_reference="CMB2603100002",
            payer_name="韩梅梅",
            payer_account="6217000010001234567",
            memo="房租",
        ),
        ParsedLine(
            line_number=10,
            booking_date=D(2026, 3, 10),
            value_date=D(2026, 3, 10),
            amount=Decimal("25.00"),
            direction="debit",
            bank_reference="CMB2603100003",
            memo="跨行转账手续费",
        ),
        ParsedLine(
            line_number=12,
            booking_date=D(2026, 3, 11),
            value_date=D(2026, 3, 11),
            amount=Decimal("500.00"),
            direction="credit",
            bank_reference="CMB2603110004",
            memo="退回 账单7 多扣款项",
        ),
    ]


def test_split_details():
    assert parsers.split_details("/NAME/ACME Ltd/ACNO/123/PURP/rent L1") == {
        "payer_name": "ACME Ltd",
        "payer_account": "123",
        "memo": "rent L1",
    }
    assert parsers.split_details("free  text memo") == {
        "payer_name": "",
        "payer_account": "",
        "memo": "free text memo",
    }


# Malformed files ---------------------------------------------------------------------------


def test_bad_cells_are_all_reported_naming_file_line_and_column():
    data = (
        "交易日期,金额,流水号\n2026-03-10,100.00,A\n2026-13-01,abc,B\n2026-03-11,1.234,C\n".encode()
    )
    with pytest.raises(StatementProblem) as exc:
        parsers.parse_csv(data, file_name="bad.csv")
    err = exc.value
    assert (err.code, err.field) == ("invalid_date", "file")
    assert err.message == (
        "bad.csv, line 3, column 交易日期: '2026-13-01' is not a date (use YYYY-MM-DD)."
    )
    assert [(e["line"], e["column"], e["code"]) for e in err.extra["errors"]] == [
        (3, "交易日期", "invalid_date"),
        (3, "金额", "invalid_amount"),
        (4, "金额", "invalid_amount"),
    ]


def test_missing_amount_and_bad_direction():
    data = b"date,amount,dc\n2026-03-10,,C\n2026-03-10,5.00,X\n"
    with pytest.raises(StatementProblem) as exc:
        parsers.parse_csv(data, file_name="x.csv")
    assert [(e["line"], e["column"], e["code"]) for e in exc.value.extra["errors"]] == [
        (2, "amount", "required"),
        (3, "dc", "invalid_direction"),
    ]


def test_no_header_row():
    with pytest.raises(StatementProblem) as exc:
        parsers.parse_csv(b"foo,bar\n1,2\n", file_name="x.csv")
    assert exc.value.code == "no_header"
    assert exc.value.message.startswith("x.csv: no header row found")


def test_header_without_lines():
    with pytest.raises(StatementProblem) as exc:
        parsers.parse_csv(b"date,amount\n", file_name="x.csv")
    assert exc.value.code == "no_lines"


def test_broken_workbook():
    with pytest.raises(StatementProblem) as exc:
        parsers.parse_xlsx(b"PK\x03\x04 not really a zip", file_name="x.xlsx")
    assert (exc.value.code, exc.value.message) == ("corrupt", "x.xlsx: not a valid .xlsx workbook.")


def test_mt940_with_a_broken_transaction_line_names_the_line():
    data = b":20:REF\n:25:ACC\n:60F:C260309CNY0,00\n:61:26031X0310C3200,00NTRF//B1\n:86:x\n"
    with pytest.raises(StatementProblem) as exc:
        parsers.parse_mt940(data, file_name="bad.sta")
    assert exc.value.extra["errors"][0]["line"] == 4
    assert exc.value.extra["errors"][0]["column"] == ":61:"
    assert exc.value.message.startswith("bad.sta, line 4, column :61:")


def test_not_mt940_at_all():
    with pytest.raises(StatementProblem) as exc:
        parsers.parse_mt940(b"just some text", file_name="notes.txt")
    assert exc.value.code == "malformed"


@pytest.mark.parametrize(
    ("name", "size", "code"),
    [
        ("a.pdf", 10, "wrong_type"),
        ("a.xls", 10, "wrong_type"),
        ("a.csv", 0, "empty"),
        ("a.csv", 10 * 1024 * 1024 + 1, "too_large"),
    ],
)
def test_type_and_size_checks(name, size, code):
    with pytest.raises(StatementProblem) as exc:
        parsers.detect_format(name, size)
    assert (exc.value.code, exc.value.field) == (code, "file")


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.CSV", "csv"), ("b.xlsx", "xlsx"), ("c.sta", "mt940"), ("d.txt", "mt940")]
)
def test_format_from_the_name(name, fmt):
    assert parsers.detect_format(name, 10) == fmt


# Fingerprints ------------------------------------------------------------------------------


def test_fingerprint_ignores_the_file_and_tells_identical_lines_apart():
    line = ParsedLine(
        line_number=5,
        booking_date=D(2026, 3, 10),
        amount=Decimal("3200.00"),
        direction="credit",
        bank_reference="HX001",
        memo="房租",
    )
    moved = ParsedLine(**{**line.__dict__, "line_number": 99})
    debit = ParsedLine(**{**line.__dict__, "direction": "debit"})
    assert parsers.fingerprint("ACC", line) == parsers.fingerprint("ACC", moved)
    assert parsers.fingerprint("ACC", line) != parsers.fingerprint("ACC", debit)
    assert parsers.fingerprint("ACC", line) != parsers.fingerprint("OTHER", line)
    first, second = parsers.fingerprints("ACC", [line, moved])
    assert first == parsers.fingerprint("ACC", line)
    assert second != first
