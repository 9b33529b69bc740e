"""What a statement parser returns, how it reports problems, and cell values (dates, amounts).

Every problem of a file is collected and raised at once as one :class:`StatementProblem` (a
``ValidationFailed`` on the ``file`` field) whose message names the file, line and column of the
first problem and whose ``errors`` lists all of them (at most :data:`MAX_ERRORS`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from anzu.billing.reconciliation.choices import Direction
from anzu.common.errors import ValidationFailed

MAX_ERRORS = 50
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass
class ParsedLine:
    line_number: int
    booking_date: dt.date
    amount: Decimal  # positive; the direction says which way the money went
    direction: str
    value_date: dt.date | None = None
    currency: str = "CNY"
    bank_reference: str = ""
    payer_name: str = ""
    payer_account: str = ""
    memo: str = ""

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.direction == Direction.DEBIT else self.amount


@dataclass
class ParsedStatement:
    format: str
    account: str
    lines: list[ParsedLine] = field(default_factory=list)


class StatementProblem(ValidationFailed):
    """The file cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, code: str, message: str, *, errors: list[dict[str, Any]] | None = None):
        super().__init__(code, message, field="file", errors=errors or [])


@dataclass
class Problems:
    file_name: str
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: int, column: str, code: str, problem: str) -> None:
        if len(self.items) < MAX_ERRORS:
            message = _("%(file)s, line %(line)s, column %(column)s: %(problem)s") % {
                "file": self.file_name,
                "line": line,
                "column": column,
                "problem": problem,
            }
            self.items.append({"line": line, "column": column, "code": code, "message": message})

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise StatementProblem(first["code"], first["message"], errors=self.items)


def file_problem(code: str, problem: str, file_name: str) -> StatementProblem:
    return StatementProblem(
        code, _("%(file)s: %(problem)s") % {"file": file_name, "problem": problem}
    )


# Values ------------------------------------------------------------------------------------


def normalize_account(value: str) -> str:
    """An account number without spaces and without a bank code prefix (``BIC/account``)."""
    return "".join((value or "").split()).rsplit("/", 1)[-1][:64]


def clean_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def parse_date(value: Any) -> dt.date | None:
    """A date from a cell: a date/datetime, or text such as 2026-03-10, 2026/3/10, 20260310."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise ValueError(text)


def parse_amount(value: Any) -> Decimal | None:
    """A signed amount with at most two decimals: 3,200.00 / ¥3200 / -150 / 3200.00元."""
    if value is None or isinstance(value, bool):
        return None if value is None else _bad_amount(value)
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip()
    for junk in ("¥", "￥", "元", "CNY", "RMB", ",", "，", " "):
        text = text.replace(junk, "")
    if not text:
        return None
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return _bad_amount(value)
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return _bad_amount(value)
    if abs(amount) > Decimal("9999999999.99"):
        return _bad_amount(value)
    return amount.quantize(Decimal("0.01"))


def _bad_amount(value: Any) -> Decimal:
    raise ValueError(str(value))
