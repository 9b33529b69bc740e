"""Reading an uploaded file: type and size checks, content sniffing, sheets, headers and rows.

Problems with the file as a whole raise :class:`FileProblem` (nothing is imported); problems with
headers are reported like row errors (row 1) so every problem is listed at once.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anzu.common.errors import ValidationFailed
from anzu.onboarding.choices import ImportKind
from anzu.onboarding.columns import (
    SHEETS,
    Column,
    SheetSpec,
    detect_kind,
    match_header,
    normalize,
    sheet_kind_for_title,
)
from anzu.onboarding.report import Issues, msg

DEFAULT_MAX_ROWS = 200_000
# A workbook is a zip; refuse one that unpacks to more than this (a "zip bomb").
MAX_UNPACKED_BYTES = 400 * 1024 * 1024


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


class FileProblem(ValidationFailed):
    """The file as a whole cannot be imported (type, size, encoding, corruption)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, field="file")


@dataclass
class Row:
    number: int  # as shown in Excel: the header is row 1
    values: dict[str, Any]  # column key -> normalized cell value (None when blank)


@dataclass
class Sheet:
    spec: SheetSpec
    title: str
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as written
    rows: list[Row] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.spec.kind

    def header_for(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        try:
            return self.spec.column(key).header
        except KeyError:
            return key

    def has(self, key: str) -> bool:
        return key in self.headers


def check_upload(name: str, size: int) -> str:
    """The file's format from its name (``xlsx`` or ``csv``), or a FileProblem."""
    suffix = PurePath(name or "").suffix.lower()
    if size > max_bytes():
        raise FileProblem(
            "too_large",
            msg(
                gettext_noop("The file is %(size)s bytes; the limit is %(limit)s bytes."),
                {"size": f"{size:,}", "limit": f"{max_bytes():,}"},
            ),
        )
    if size == 0:
        raise FileProblem("empty", _("The file is empty."))
    if suffix == ".xls":
        raise FileProblem(
            "wrong_type",
            _("Old .xls workbooks are not supported; save the file as .xlsx and upload again."),
        )
    if suffix not in (".xlsx", ".csv"):
        raise FileProblem(
            "wrong_type",
            msg(
                gettext_noop(
                    "Unsupported file type %(suffix)r; upload an .xlsx workbook or a .csv file."
                ),
                {"suffix": suffix or name},
            ),
        )
    return suffix[1:]


def read_file(*, name: str, data: bytes, kind: str, issues: Issues) -> list[Sheet]:
    """Check and parse the file; header problems go to ``issues``."""
    if sniff(name, data, kind) == "xlsx":
        return _read_xlsx(data, issues)
    return [_read_csv(data, kind, issues)]


def _xlsx_ok(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileProblem("corrupt", _("The workbook is damaged and cannot be opened.")) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileProblem("wrong_type", _("The file is a zip archive but not an Excel workbook."))
    if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise FileProblem("too_large", _("The workbook unpacks to more data than allowed."))
    return archive


def _read_xlsx(data: bytes, issues: Issues) -> list[Sheet]:
    import openpyxl  # imported here: only workbook imports pay for it

    _xlsx_ok(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged parts
        raise FileProblem("corrupt", _("The workbook is damaged and cannot be opened.")) from None
    sheets: list[Sheet] = []
    total = 0
    try:
        seen: set[str] = set()
        for worksheet in workbook.worksheets:
            kind = sheet_kind_for_title(worksheet.title)
            if kind is None:
                continue
            if kind in seen:
                raise FileProblem(
                    "duplicate_sheet",
                    msg(gettext_noop("The workbook has two sheets for %(kind)s."), {"kind": kind}),
                )
            seen.add(kind)
            sheet = Sheet(SHEETS[kind], worksheet.title)
            rows = worksheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None or not any(c not in (None, "") for c in header):
                continue
            columns = _headers(sheet, [("" if c is None else str(c)) for c in header], issues)
            for number, cells in enumerate(rows, start=2):
                values = _row_values(sheet, columns, list(cells))
                if values is None:
                    continue
                total += 1
                if total > max_rows():
                    raise _too_many_rows()
                sheet.rows.append(Row(number, values))
            sheets.append(sheet)
    except FileProblem:
        raise
    except Exception:
        raise FileProblem("corrupt", _("The workbook is damaged and cannot be read.")) from None
    finally:
        workbook.close()
    if not sheets:
        raise FileProblem(
            "no_sheets",
            _("The workbook has no sheet named units, customers or leases (see the template)."),
        )
    return sheets


def _too_many_rows() -> FileProblem:
    return FileProblem(
        "too_many_rows",
        msg(
            gettext_noop("The file has more than %(limit)s rows; split it into smaller files."),
            {"limit": f"{max_rows():,}"},
        ),
    )


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise FileProblem(
        "encoding", _("The CSV file is neither UTF-8 nor GB18030 text; save it as UTF-8 CSV.")
    )


def _read_csv(data: bytes, kind: str, issues: Issues) -> Sheet:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileProblem(
            "corrupt", msg(gettext_noop("The CSV file cannot be read: %(error)s"), {"error": exc})
        ) from None
    if not records or not any(c.strip() for c in records[0]):
        raise FileProblem("empty", _("The CSV file has no header row."))
    header = records[0]
    if kind in (ImportKind.AUTO, ""):
        detected = detect_kind(header)
        if detected is None:
            raise FileProblem(
                "unknown_kind",
                _("Cannot tell whether the CSV holds units, customers or leases; choose the kind."),
            )
        kind = detected
    if kind not in SHEETS:
        raise FileProblem(
            "invalid_kind", msg(gettext_noop("Unknown kind %(kind)r."), {"kind": kind})
        )
    if len(records) - 1 > max_rows():
        raise _too_many_rows()
    sheet = Sheet(SHEETS[kind], kind)
    columns = _headers(sheet, header, issues)
    for number, cells in enumerate(records[1:], start=2):
        values = _row_values(sheet, columns, list(cells))
        if values is not None:
            sheet.rows.append(Row(number, values))
    return sheet


def _headers(sheet: Sheet, header: list[str], issues: Issues) -> list[Column | None]:
    columns: list[Column | None] = []
    for text in header:
        text = text.strip()
        col = match_header(sheet.spec, text) if text else None
        if text and col is None:
            issues.add(sheet, 1, None, "unknown_column", _("Unknown column."), column=text)
        elif col is not None and col.key in sheet.headers:
            issues.add(
                sheet, 1, None, "duplicate_column", _("This column appears twice."), column=text
            )
            col = None
        elif col is not None:
            sheet.headers[col.key] = text
        columns.append(col)
    for col in sheet.spec.columns:
        if col.required and col.key not in sheet.headers:
            issues.add(sheet, 1, col.key, "missing_column", _("This required column is missing."))
    return columns


def _row_values(
    sheet: Sheet, columns: list[Column | None], cells: list[Any]
) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    for col, raw in zip(columns, cells, strict=False):
        if col is not None:
            values[col.key] = normalize(col, raw)
    if all(v is None for v in values.values()):
        return None  # blank row
    if _is_template_example(sheet.spec, values):
        return None
    return values


def _is_template_example(spec: SheetSpec, values: dict[str, Any]) -> bool:
    """The template's example row is ignored as long as it is left unchanged."""
    for col in spec.columns:
        example = normalize(col, col.example) if col.example not in (None, "") else None
        if values.get(col.key) != example:
            return False
    return True


def sniff(name: str, data: bytes, kind: str) -> str:
    """Cheap checks at upload time (name, size, content type); the full read happens in the job."""
    fmt = check_upload(name, len(data))
    is_zip = data[:4] == b"PK\x03\x04"
    if fmt == "xlsx":
        if not is_zip:
            raise FileProblem(
                "wrong_type", _("The file is named .xlsx but is not an Excel workbook.")
            )
        if kind not in (ImportKind.AUTO, ImportKind.WORKBOOK):
            raise FileProblem(
                "wrong_type",
                _("A workbook holds all kinds; choose 'workbook' or leave it automatic."),
            )
        _xlsx_ok(data)
        return fmt
    if is_zip or b"\x00" in data[:4096]:
        raise FileProblem("wrong_type", _("The file is named .csv but is not a text file."))
    if kind == ImportKind.WORKBOOK:
        raise FileProblem("wrong_type", _("A CSV file holds one kind: units, customers or leases."))
    _decode(data)
    return fmt
