"""Reading bank statement files: CSV, Excel (.xlsx) and MT940, into :class:`ParsedStatement`.

Pure functions: bytes in, lines out, no database. The format is chosen by the file's name
(:func:`detect_format`, which also refuses empty, oversized and unsupported files); see
:mod:`~anzu.billing.reconciliation.tables` and :mod:`~anzu.billing.reconciliation.mt940_reader`.
A malformed file raises one :class:`StatementProblem` listing every problem; nothing of it is
imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from anzu.billing.reconciliation.choices import StatementFormat
from anzu.billing.reconciliation.lines import (
    MAX_ERRORS,
    ParsedLine,
    ParsedStatement,
    StatementProblem,
    file_problem,
    normalize_account,
    parse_amount,
    parse_date,
)
from anzu.billing.reconciliation.mt940_reader import parse_mt940, split_details
from anzu.billing.reconciliation.tables import HEADERS, parse_csv, parse_xlsx

__all__ = [
    "HEADERS",
    "MAX_ERRORS",
    "ParsedLine",
    "ParsedStatement",
    "StatementProblem",
    "detect_format",
    "fingerprint",
    "fingerprints",
    "normalize_account",
    "parse_amount",
    "parse_csv",
    "parse_date",
    "parse_mt940",
    "parse_statement",
    "parse_xlsx",
    "split_details",
]

MT940_SUFFIXES = (".sta", ".mt940", ".940", ".txt")


# Fingerprints ------------------------------------------------------------------------------


def fingerprint(account: str, line: ParsedLine, occurrence: int = 1) -> str:
    """SHA-256 over (account, booking date, signed amount, bank reference, payer account, memo).

    ``occurrence`` tells identical lines of one file apart (the 2nd, 3rd… identical line); the
    first one's fingerprint is the plain formula, so overlapping files agree on it.
    """
    parts = [
        account.strip(),
        line.booking_date.isoformat(),
        str(line.signed_amount),
        line.bank_reference.strip(),
        line.payer_account.strip(),
        line.memo.strip(),
    ]
    if occurrence > 1:
        parts.append(f"#{occurrence}")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def fingerprints(account: str, lines: Iterable[ParsedLine]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for line in lines:
        base = fingerprint(account, line)
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else fingerprint(account, line, seen[base]))
    return result


# Entry point -------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def detect_format(file_name: str, size: int) -> str:
    """The statement format from the file's name; refuses wrong types, empty and huge files."""
    suffix = PurePath(file_name or "").suffix.lower()
    if size > max_bytes():
        raise file_problem(
            "too_large",
            _("the file is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": f"{size:,}", "limit": f"{max_bytes():,}"},
            file_name,
        )
    if size == 0:
        raise file_problem("empty", _("the file is empty."), file_name)
    if suffix == ".csv":
        return StatementFormat.CSV
    if suffix == ".xlsx":
        return StatementFormat.XLSX
    if suffix in MT940_SUFFIXES:
        return StatementFormat.MT940
    if suffix == ".xls":
        raise file_problem(
            "wrong_type", _("old .xls workbooks are not supported; save as .xlsx."), file_name
        )
    raise file_problem(
        "wrong_type",
        _("unsupported file type; upload a .csv, .xlsx or MT940 (.sta, .mt940, .txt) file."),
        file_name,
    )


def parse_statement(file_name: str, data: bytes) -> ParsedStatement:
    """Parse a statement file of any supported format (chosen by the file's name)."""
    fmt = detect_format(file_name, len(data))
    if fmt == StatementFormat.CSV:
        return parse_csv(data, file_name=file_name)
    if fmt == StatementFormat.XLSX:
        return parse_xlsx(data, file_name=file_name)
    return parse_mt940(data, file_name=file_name)
