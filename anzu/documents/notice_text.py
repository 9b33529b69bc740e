"""The text of formal notices: the placeholder catalog, checking and filling a template, 大写金额.

A notice template is data that operators edit, so it is parsed, never evaluated: only bare names
from :data:`PLACEHOLDERS` are allowed (no attribute or index access, no format specs), and a
template with an unknown name or an unbalanced brace is refused naming the field and the name.
A literal brace is written twice (``{{`` / ``}}``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from anzu.common.errors import ValidationFailed
from anzu.common.money import CENT, fmt

# The placeholder catalog: every name a notice template may use, with what it stands for.
PLACEHOLDERS: dict[str, Any] = {
    "organization_name": _("Operator (organization) name"),
    "customer_name": _("Customer name"),
    "lease_code": _("Lease number"),
    "unit_label": _("Unit (project, building, unit)"),
    "amount_due": _("Total outstanding, e.g. ¥3,200.00"),
    "amount_due_upper": _("Total outstanding in Chinese capital numerals (大写)"),
    "bills_table": _("Table of the overdue bills (on a line of its own: a real table)"),
    "overdue_days": _("Days the oldest bill is overdue"),
    "due_date": _("Due date of the oldest overdue bill"),
    "deadline": _("Pay-by date: issue date plus the template's days to pay"),
    "pay_account": _("Collection account to pay into"),
    "consequences": _("Consequences of not paying (the template's consequences text)"),
    "issue_date": _("Issue date"),
    "notice_number": _("Notice number"),
}

# Placeholders whose value is derived from the bills; callers may not override them.
DERIVED = frozenset({"amount_due", "amount_due_upper", "bills_table"})
# Placeholders the consequences text may not use (it is itself a placeholder's value).
NOT_IN_CONSEQUENCES = frozenset({"consequences", "bills_table"})

# Stands in for {bills_table} while the body is laid out; never appears in a letter.
TABLE_MARKER = "\x00BILLS_TABLE\x00"

_FORMATTER = string.Formatter()


def _allowed_list(allowed: Mapping[str, Any] | frozenset[str]) -> str:
    return ", ".join(sorted(allowed))


def placeholders_in(text: str, *, field: str, allowed: frozenset[str] | None = None) -> list[str]:
    """The placeholders of ``text`` in order of first appearance; refuses bad ones, naming them."""
    names_allowed = frozenset(PLACEHOLDERS) if allowed is None else allowed
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        fragment = _unbalanced_fragment(text)
        raise ValidationFailed(
            "unbalanced_brace",
            f"Unbalanced brace near “{fragment}”: write placeholders as {{name}} and a literal "
            "brace as {{ or }}.",
            field=field,
            placeholder=fragment,
        ) from None
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise ValidationFailed(
                "invalid_template",
                f"Placeholder {{{name}}} may not carry a format or conversion.",
                field=field,
                placeholder=name,
            )
        if name not in names_allowed:
            raise ValidationFailed(
                "unknown_placeholder",
                f"Unknown placeholder {{{name}}}. Allowed: {_allowed_list(names_allowed)}.",
                field=field,
                placeholder=name,
            )
        if name not in names:
            names.append(name)
    return names


def _unbalanced_fragment(text: str) -> str:
    """The text around the first brace that does not pair up (for the error message)."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            if text.startswith("{{", i):
                i += 2
                continue
            close = text.find("}", i)
            opener = text.find("{", i + 1)
            if close == -1 or (opener != -1 and opener < close):
                return text[i : i + 20]
            i = close + 1
            continue
        if ch == "}":
            if text.startswith("}}", i):
                i += 2
                continue
            return text[max(0, i - 19) : i + 1]
        i += 1
    return ""


def check_template(*, body: str, consequences: str) -> list[str]:
    """Validate a template's texts; returns the body's placeholders."""
    names = placeholders_in(body, field="body")
    placeholders_in(
        consequences,
        field="consequences",
        allowed=frozenset(PLACEHOLDERS) - NOT_IN_CONSEQUENCES,
    )
    return names


# 大写金额 ---------------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _group_upper(group: int) -> str:
    """0 < group < 10000 in capital numerals, inner zeros read as one 零, trailing ones dropped."""
    out = ""
    zero = False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL_UNITS[position]
    return out


def _integer_upper(number: int) -> str:
    groups: list[int] = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    out = ""
    zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero = bool(out)
            continue
        if out and (zero or group < 1000):
            out += "零"
        out += _group_upper(group) + _BIG_UNITS[index]
        zero = False
    return out


def amount_in_words(amount: Decimal) -> str:
    """An amount of yuan in Chinese capital numerals as written on bills and letters (大写).

    ``1234.56`` → ``壹仟贰佰叁拾肆元伍角陆分``; ``10.00`` → ``壹拾元整``; ``0.05`` → ``伍分``;
    ``1.05`` → ``壹元零伍分``. Whole yuan end in 整; an amount with fen does not.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"not a Decimal amount: {amount!r}")
    if amount < 0:
        raise ValueError("amount_in_words takes a non-negative amount")
    cents = int(amount.quantize(CENT, rounding=decimal.ROUND_HALF_UP) * 100)
    if cents == 0:
        return "零元整"
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    out = _integer_upper(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return out


# Values -----------------------------------------------------------------------------------------


def chinese_date(value: dt.date) -> str:
    """``2026年3月10日``."""
    return f"{value.year}年{value.month}月{value.day}日"


def as_text(value: Any) -> str:
    """A context value as letter text: dates in Chinese, Decimal as money."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return chinese_date(value.date())
    if isinstance(value, dt.date):
        return chinese_date(value)
    if isinstance(value, Decimal):
        return fmt(value)
    return str(value)


@dataclass(frozen=True)
class BillRow:
    """One line of the bills table (all text, as printed)."""

    kind: str
    period: str
    due_date: str
    amount: str
    paid: str
    outstanding: str
    days_overdue: str

    def as_line(self) -> str:
        return (
            f"{self.kind}（{self.period}），应付日期{self.due_date}，"
            f"应付{self.amount}，已付{self.paid}，未付{self.outstanding}，逾期{self.days_overdue}日"
        )


def bills_table_text(rows: list[BillRow]) -> str:
    return "\n".join(f"{i}. {row.as_line()}" for i, row in enumerate(rows, start=1))


def fill(text: str, values: Mapping[str, str], *, field: str) -> str:
    """``text`` with its placeholders replaced (every used placeholder must have a value)."""
    names = placeholders_in(text, field=field)
    return text.format_map({name: values.get(name, "") for name in names})


_HEADING = re.compile(r"^[一二三四五六七八九十]+、\S{1,20}$")
_ADDRESS_PREFIXES = ("致：", "致:", "发函方：", "发函方:", "事由：", "事由:", "关于：", "关于:")


@dataclass(frozen=True)
class Block:
    """A paragraph of the letter, or the place of the bills table."""

    text: str
    is_table: bool = False

    @property
    def style(self) -> str:
        """``address`` (致/发函方/事由 lines), ``heading`` (一、…) or ``para``."""
        if self.text.startswith(_ADDRESS_PREFIXES):
            return "address"
        if _HEADING.match(self.text):
            return "heading"
        return "para"


def layout(body: str, values: Mapping[str, str]) -> list[Block]:
    """The rendered body as paragraphs; a line that is only ``{bills_table}`` becomes the table.

    Elsewhere in a line, ``{bills_table}`` reads as the bills in words.
    """
    marked = {**values, "bills_table": TABLE_MARKER}
    rendered = fill(body, marked, field="body")
    blocks: list[Block] = []
    for line in rendered.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped == TABLE_MARKER:
            blocks.append(Block("", is_table=True))
        else:
            text = stripped.replace(TABLE_MARKER, values.get("bills_table", ""))
            blocks.extend(Block(part.strip()) for part in text.splitlines() if part.strip())
    return blocks
