"""Bank exports as tables: CSV (UTF-8 with or without BOM, GBK/GB18030) and Excel (.xlsx).

The files need a header row; headers may be Chinese or English (see :data:`HEADERS`). Rows above
the header row are a preamble: ``账号: …`` / ``Account: …`` there gives the statement's own
account. A single amount column is signed (negative = debit) unless a direction column (借/贷,
D/C, 支出/收入) says otherwise; separate credit (贷方金额) and debit (借方金额) columns may be
used instead. Footer rows (合计, 总计, total) are skipped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from anzu.billing.reconciliation.choices import Direction, StatementFormat
from anzu.billing.reconciliation.lines import (
    ParsedLine,
    ParsedStatement,
    Problems,
    clean_text,
    file_problem,
    normalize_account,
    parse_amount,
    parse_date,
)

MAX_LINES = 20_000
# How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 30

# Column key → accepted headers (compared without spaces, case-insensitively).
HEADERS: dict[str, tuple[str, ...]] = {
    "booking_date": (
        "交易日期",
        "记账日期",
        "入账日期",
        "交易时间",
        "日期",
        "date",
        "bookingdate",
        "booking_date",
        "transactiondate",
    ),
    "value_date": ("起息日", "起息日期", "valuedate", "value_date"),
    "amount": ("金额", "交易金额", "发生额", "amount"),
    "credit": ("贷方金额", "贷方发生额", "收入金额", "收入", "credit", "creditamount"),
    "debit": ("借方金额", "借方发生额", "支出金额", "支出", "debit", "debitamount"),
    "direction": ("借贷标志", "借贷方向", "收支标志", "收支", "direction", "dc", "d/c"),
    "currency": ("币种", "货币", "currency"),
    "reference": (
        "流水号",
        "交易流水号",
        "银行流水号",
        "交易流水",
        "凭证号",
        "reference",
        "bankreference",
        "bank_reference",
    ),
    "payer_name": (
        "对方户名",
        "付款人",
        "付款人名称",
        "对方名称",
        "payer",
        "payername",
        "payer_name",
    ),
    "payer_account": (
        "对方账号",
        "付款人账号",
        "对方账户",
        "account",
        "payeraccount",
        "payer_account",
    ),
    "memo": (
        "摘要",
        "附言",
        "用途",
        "备注",
        "交易附言",
        "memo",
        "remark",
        "purpose",
        "description",
    ),
}
_HEADER_INDEX = {
    "".join(name.split()).lower(): key for key, names in HEADERS.items() for name in names
}
# Preamble labels of the statement's own account.
_ACCOUNT_LABELS = ("账号", "本方账号", "账户", "account", "accountno", "accountnumber")
# Footer rows skipped when they stand in the date column.
_TOTAL_WORDS = frozenset({"合计", "总计", "小计", "本页合计", "total", "sum"})
_CREDIT_MARKS = frozenset({"c", "cr", "credit", "贷", "贷方", "收", "收入", "+", "rd"})
_DEBIT_MARKS = frozenset({"d", "dr", "debit", "借", "借方", "支", "支出", "-", "rc"})

# CSV and Excel -----------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _header_key(cell: Any) -> str | None:
    text = "".join(clean_text(cell).split()).lower().rstrip(":：")
    text = re.sub(r"[(（].*?[)）]$", "", text)  # "金额(元)" → "金额"
    return _HEADER_INDEX.get(text)


def _find_header(rows: Sequence[tuple[int, Sequence[Any]]]) -> tuple[int, dict[str, list[int]]]:
    """The position of the header row and its columns: key → column indexes."""
    for position, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, list[int]] = {}
        for index, cell in enumerate(cells):
            key = _header_key(cell)
            if key is not None:
                columns.setdefault(key, []).append(index)
        if "booking_date" in columns and (
            "amount" in columns or "credit" in columns or "debit" in columns
        ):
            return position, columns
    return -1, {}


def _preamble_account(rows: Iterable[Sequence[Any]]) -> str:
    """The statement's own account from preamble rows: ``账号: 3100…`` or ``账号 | 3100…``."""
    for cells in rows:
        texts = [clean_text(c) for c in cells]
        for index, text in enumerate(texts):
            match = re.match(r"^\s*([^:：]+)[:：]\s*(.*)$", text)
            name = "".join((match.group(1) if match else text).split()).lower()
            if name not in _ACCOUNT_LABELS:
                continue
            value = match.group(2).strip() if match else ""
            if not value and index + 1 < len(texts):
                value = texts[index + 1]
            if value:
                return normalize_account(value)
    return ""


def _column_label(headers: Sequence[Any], index: int) -> str:
    return clean_text(headers[index]) if index < len(headers) else str(index + 1)


def _parse_table(
    rows: Sequence[tuple[int, Sequence[Any]]], *, file_name: str, fmt: str
) -> ParsedStatement:
    problems = Problems(file_name)
    position, columns = _find_header(rows)
    if position < 0:
        raise file_problem(
            "no_header",
            _(
                "no header row found; the file needs a date column (交易日期/date) and an amount "
                "column (金额/贷方金额/amount)."
            ),
            file_name,
        )
    headers = rows[position][1]
    statement = ParsedStatement(
        format=fmt, account=_preamble_account(c for _n, c in rows[:position])
    )

    def cell(cells: Sequence[Any], key: str) -> Any:
        for index in columns.get(key, []):
            if index < len(cells) and clean_text(cells[index]):
                return cells[index]
        return None

    def label(key: str) -> str:
        return _column_label(headers, columns[key][0])

    for number, cells in rows[position + 1 :]:
        if not any(clean_text(c) for c in cells):
            continue
        raw_date = cell(cells, "booking_date")
        if clean_text(raw_date).lower() in _TOTAL_WORDS or (
            raw_date is None and any(clean_text(c).lower() in _TOTAL_WORDS for c in cells)
        ):
            continue
        before = len(problems.items)
        try:
            booking = parse_date(raw_date)
        except ValueError:
            problems.add(
                number,
                label("booking_date"),
                "invalid_date",
                _("%(value)r is not a date (use YYYY-MM-DD).") % {"value": clean_text(raw_date)},
            )
            booking = None
        else:
            if booking is None:
                problems.add(number, label("booking_date"), "required", _("the date is missing."))
        value_date = None
        if "value_date" in columns:
            try:
                value_date = parse_date(cell(cells, "value_date"))
            except ValueError:
                problems.add(
                    number,
                    label("value_date"),
                    "invalid_date",
                    _("%(value)r is not a date (use YYYY-MM-DD).")
                    % {"value": clean_text(cell(cells, "value_date"))},
                )
        signed = _row_amount(cells, columns, headers, cell, number, problems)
        reference = clean_text(cell(cells, "reference"))
        if len(reference) > 64:
            problems.add(
                number,
                label("reference"),
                "too_long",
                _("the reference is longer than 64 characters."),
            )
        currency = (clean_text(cell(cells, "currency")) or "CNY").upper()
        if currency in ("人民币", "RMB"):
            currency = "CNY"
        if len(currency) != 3:
            problems.add(
                number,
                label("currency"),
                "invalid_currency",
                _("%(value)r is not a currency code such as CNY.") % {"value": currency},
            )
        if len(problems.items) > before or booking is None or signed is None:
            continue
        memo = " ".join(
            clean_text(cells[i])
            for i in columns.get("memo", [])
            if i < len(cells) and clean_text(cells[i])
        )
        statement.lines.append(
            ParsedLine(
                line_number=number,
                booking_date=booking,
                value_date=value_date,
                amount=abs(signed),
                direction=Direction.DEBIT if signed < 0 else Direction.CREDIT,
                currency=currency,
                bank_reference=reference,
                payer_name=clean_text(cell(cells, "payer_name"))[:100],
                payer_account=clean_text(cell(cells, "payer_account")).replace(" ", "")[:64],
                memo=memo[:300],
            )
        )
        if len(statement.lines) > MAX_LINES:
            raise file_problem(
                "too_many_lines",
                _("more than %(limit)s lines; split the statement.") % {"limit": MAX_LINES},
                file_name,
            )
    problems.raise_if_any()
    if not statement.lines:
        raise file_problem("no_lines", _("the statement has no transaction lines."), file_name)
    return statement


def _row_amount(
    cells: Sequence[Any],
    columns: dict[str, list[int]],
    headers: Sequence[Any],
    cell: Any,
    number: int,
    problems: Problems,
) -> Decimal | None:
    """The row's signed amount (credit positive) or None after reporting the problem."""
    found: dict[str, Decimal | None] = {}
    for key in ("amount", "credit", "debit"):
        if key not in columns:
            continue
        raw = cell(cells, key)
        try:
            found[key] = parse_amount(raw)
        except ValueError:
            problems.add(
                number,
                _column_label(headers, columns[key][0]),
                "invalid_amount",
                _("%(value)r is not an amount.") % {"value": clean_text(raw)},
            )
            return None
    credit, debit = found.get("credit"), found.get("debit")
    if credit:
        return abs(credit)
    if debit:
        return -abs(debit)
    amount = found.get("amount")
    if amount is None:
        if credit is not None or debit is not None:
            return Decimal("0.00")
        key = "amount" if "amount" in columns else "credit" if "credit" in columns else "debit"
        problems.add(
            number, _column_label(headers, columns[key][0]), "required", _("the amount is missing.")
        )
        return None
    mark = "".join(clean_text(cell(cells, "direction")).split()).lower()
    if mark in _DEBIT_MARKS:
        return -abs(amount)
    if mark in _CREDIT_MARKS:
        return abs(amount)
    if mark:
        problems.add(
            number,
            _column_label(headers, columns["direction"][0]),
            "invalid_direction",
            _("%(value)r is not a direction (借/贷, D/C, 支出/收入).") % {"value": mark},
        )
        return None
    return amount


def parse_csv(data: bytes, *, file_name: str = "statement.csv") -> ParsedStatement:
    """A CSV export: UTF-8 (BOM or not) or GBK/GB18030; comma, semicolon or tab separated."""
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, Sequence[Any]]] = []
    try:
        start = 1
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise file_problem(
            "malformed",
            _("line %(line)s is not valid CSV (%(problem)s).")
            % {"line": reader.line_num, "problem": exc},
            file_name,
        ) from None
    return _parse_table(rows, file_name=file_name, fmt=StatementFormat.CSV)


def parse_xlsx(data: bytes, *, file_name: str = "statement.xlsx") -> ParsedStatement:
    """An Excel workbook: the first sheet with a header row is read."""
    import openpyxl  # imported here: only workbook imports pay for it

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise file_problem("corrupt", _("not a valid .xlsx workbook."), file_name)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged parts
        raise file_problem("corrupt", _("not a valid .xlsx workbook."), file_name) from None
    try:
        for sheet in workbook.worksheets:
            rows = [
                (number, list(cells))
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            if _find_header(rows)[0] >= 0:
                return _parse_table(rows, file_name=file_name, fmt=StatementFormat.XLSX)
    finally:
        workbook.close()
    return _parse_table([], file_name=file_name, fmt=StatementFormat.XLSX)
