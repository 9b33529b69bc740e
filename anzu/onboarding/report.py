"""The error report: every problem by sheet, row (as shown in Excel) and column."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from anzu.common.errors import DomainError

if TYPE_CHECKING:
    from anzu.onboarding.reader import Sheet

# At most this many errors are kept in a job's report (the count is always exact).
MAX_STORED_ERRORS = 10_000


class Msg(str):
    """A message formatted now that remembers its template and parameters, so the report can be
    shown later in the reader's language."""

    template: str = ""
    params: dict[str, str] = {}


def msg(template: str, params: dict[str, Any]) -> Msg:
    text = Msg(gettext(template) % params)
    text.template = template
    text.params = {k: str(v) for k, v in params.items()}
    return text


def localized(error: dict[str, Any]) -> str:
    """An error's message in the active language."""
    if error.get("template"):
        try:
            return gettext(error["template"]) % error.get("params", {})
        except (KeyError, TypeError, ValueError):
            return str(error["message"])
    return gettext(str(error["message"]))


@dataclass
class Issues:
    items: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: set[tuple[str, int]] = field(default_factory=set)

    def add(
        self,
        sheet: Sheet,
        row: int,
        key: str | None,
        code: str,
        message: str,
        *,
        column: str | None = None,
    ) -> None:
        item: dict[str, Any] = {
            "sheet": sheet.title,
            "kind": str(sheet.kind),
            "row": row,
            "column": column if column is not None else (sheet.header_for(key) if key else ""),
            "code": code,
            "message": str(message),
        }
        if isinstance(message, Msg):
            item["template"] = message.template
            item["params"] = message.params
        self.items.append(item)
        self.bad_rows.add((str(sheet.kind), row))

    def add_error(
        self, sheet: Sheet, row: int, error: DomainError, *, key: str | None = None
    ) -> None:
        self.add(sheet, row, error.field or key, error.code, error.message)

    def row_failed(self, sheet: Sheet, row: int) -> bool:
        return (str(sheet.kind), row) in self.bad_rows

    def header_failed(self) -> bool:
        return any(row == 1 for _kind, row in self.bad_rows)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[dict[str, Any]]:
        order = {"units": 0, "customers": 1, "leases": 2}
        return sorted(
            self.items, key=lambda e: (order.get(e["kind"], 9), e["row"], e["column"], e["code"])
        )


CSV_HEADER = ["sheet", "row", "column", "code", "message"]


def errors_csv(errors: list[dict[str, Any]]) -> str:
    """The error report as CSV text (UTF-8 with BOM when written, so Excel opens it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["工作表 sheet", "行 row", "列 column", "代码 code", "说明 message"])
    for error in errors:
        writer.writerow([_cell(error.get(name, "")) for name in CSV_HEADER])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """Keep spreadsheet programs from reading a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
