"""Validation of Chinese identity numbers and phone numbers."""

from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT_RE = re.compile(r"^\d{17}[\dX]$")
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def resident_id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def resident_id_problem(value: str) -> str | None:
    """None when ``value`` is a well-formed 18-digit resident ID, else what is wrong."""
    if not _RESIDENT_RE.match(value):
        return "A resident ID has 17 digits followed by a digit or X."
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "The birth date inside the ID number is not a valid date."
    if resident_id_check_digit(value[:17]) != value[17]:
        return "The check digit of the ID number is wrong."
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    if not _USCC_RE.match(value):
        return "A unified social credit code has 18 characters (digits and capital letters)."
    if uscc_check_char(value[:17]) != value[17]:
        return "The check character of the unified social credit code is wrong."
    return None


def phone_problem(value: str) -> str | None:
    if _MOBILE_RE.match(value) or _LANDLINE_RE.match(value):
        return None
    return "Enter an 11-digit mobile number or a landline such as 021-12345678."
