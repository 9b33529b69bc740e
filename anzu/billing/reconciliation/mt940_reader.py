"""SWIFT MT940 statements, read with the ``mt-940`` library (``import mt940``).

``:25:`` gives the statement's account; each ``:61:`` is a line (C and RD are credits, D and RC
debits; the bank reference after ``//`` is the 流水号); the following ``:86:`` carries payer and
memo, structured as ``/PAYER/…/ACCT/…/REMI/…`` or as free text (then all of it is the memo).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils.translation import gettext as _

from anzu.billing.reconciliation.choices import Direction, StatementFormat
from anzu.billing.reconciliation.lines import (
    ParsedLine,
    ParsedStatement,
    Problems,
    file_problem,
    normalize_account,
)

_MT940_FIELDS = {
    "PAYER": "payer_name",
    "NAME": "payer_name",
    "ORDP": "payer_name",
    "ACCT": "payer_account",
    "ACNO": "payer_account",
    "REMI": "memo",
    "MEMO": "memo",
    "PURP": "memo",
}
_MT940_SPLIT = re.compile(r"/(" + "|".join(_MT940_FIELDS) + r")/")


def split_details(details: str) -> dict[str, str]:
    """Payer name, payer account and memo from a ``:86:`` field.

    Structured as ``/PAYER/李雷/ACCT/6222…/REMI/L2026-000001 三月房租`` (also NAME, ORDP,
    ACNO, MEMO, PURP); anything else is the memo as a whole.
    """
    text = " ".join(details.split())
    parts = _MT940_SPLIT.split(text)
    if len(parts) < 3:
        return {"payer_name": "", "payer_account": "", "memo": text}
    result = {"payer_name": "", "payer_account": "", "memo": parts[0].strip()}
    for key, value in zip(parts[1::2], parts[2::2], strict=True):
        name = _MT940_FIELDS[key]
        value = value.strip().rstrip("/").strip()
        result[name] = f"{result[name]} {value}".strip() if name == "memo" else value
    return result


def parse_mt940(data: bytes, *, file_name: str = "statement.sta") -> ParsedStatement:
    """A SWIFT MT940 statement (via the ``mt-940`` library); C/RD lines are credits."""
    import mt940

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    file_lines = text.split("\n")
    tag_lines = [i for i, line in enumerate(file_lines, start=1) if line.startswith(":61:")]
    if not any(line.startswith(":20:") for line in file_lines) or not tag_lines:
        raise file_problem(
            "malformed",
            _("not an MT940 statement (no :20: reference or no :61: transaction line)."),
            file_name,
        )
    try:
        transactions = mt940.parse(text)
    except Exception as exc:  # the library raises RuntimeError, ValueError, KeyError…
        value = str(exc.args[2]) if len(exc.args) > 2 else ""
        line = next(
            (i for i, raw in enumerate(file_lines, start=1) if value and value in raw),
            0,
        )
        problems = Problems(file_name)
        problems.add(
            line,
            ":61:" if line in tag_lines else "-",
            "malformed",
            _("the MT940 field cannot be read (%(value)s).") % {"value": value or exc},
        )
        problems.raise_if_any()
        raise AssertionError("unreachable") from None
    account = normalize_account(str(transactions.data.get("account_identification") or ""))
    statement = ParsedStatement(format=StatementFormat.MT940, account=account)
    problems = Problems(file_name)
    for index, transaction in enumerate(transactions):
        info = transaction.data
        number = tag_lines[index] if index < len(tag_lines) else 0
        amount_obj = info.get("amount")
        status = str(info.get("status") or "").upper()
        if amount_obj is None or status not in ("C", "D", "RC", "RD"):
            problems.add(number, ":61:", "malformed", _("the amount or the C/D mark is missing."))
            continue
        amount = abs(Decimal(amount_obj.amount)).quantize(Decimal("0.01"))
        direction = Direction.CREDIT if status in ("C", "RD") else Direction.DEBIT
        reference = str(info.get("bank_reference") or "").strip()
        customer_reference = str(info.get("customer_reference") or "").strip()
        if not reference and customer_reference.upper() != "NONREF":
            reference = customer_reference
        if len(reference) > 64:
            problems.add(
                number, ":61:", "too_long", _("the reference is longer than 64 characters.")
            )
            continue
        details = split_details(str(info.get("transaction_details") or ""))
        entry = info.get("entry_date") or info.get("date")
        value_date = info.get("date")
        if entry is None:
            problems.add(number, ":61:", "required", _("the date is missing."))
            continue
        statement.lines.append(
            ParsedLine(
                line_number=number,
                booking_date=dt.date(entry.year, entry.month, entry.day),
                value_date=dt.date(value_date.year, value_date.month, value_date.day)
                if value_date
                else None,
                amount=amount,
                direction=direction,
                currency=str(info.get("currency") or "CNY").upper()[:3],
                bank_reference=reference,
                payer_name=details["payer_name"][:100],
                payer_account=details["payer_account"].replace(" ", "")[:64],
                memo=details["memo"][:300],
            )
        )
    problems.raise_if_any()
    if not statement.lines:
        raise file_problem("no_lines", _("the statement has no transaction lines."), file_name)
    return statement
