from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from anzu.common import validate as v
from anzu.common.crypto import blind_index, decrypt, encrypt, mask_id_number, mask_phone
from anzu.common.env import ConfigError, parse_database_url
from anzu.common.errors import ValidationFailed
from anzu.common.money import to_money
from anzu.leasing.idnumbers import (
    phone_problem,
    resident_id_check_digit,
    resident_id_problem,
    uscc_check_char,
    uscc_problem,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3200", Decimal("3200.00")),
        ("1,234.5", Decimal("1234.50")),
        (12.5, Decimal("12.50")),
        (0, Decimal("0.00")),
    ],
)
def test_to_money_accepts(raw, expected):
    assert to_money(raw, field="rent") == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        (None, "required"),
        ("abc", "invalid"),
        ("-1", "negative"),
        ("1.001", "precision"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        (True, "invalid"),
        ("99999999999", "too_large"),
    ],
)
def test_to_money_rejects_naming_the_field(raw, code):
    with pytest.raises(ValidationFailed) as err:
        to_money(raw, field="rent")
    assert (err.value.code, err.value.field) == (code, "rent")


def test_parse_database_url_sqlite_and_postgres():
    assert parse_database_url("X", "sqlite:///var/a.sqlite3")["NAME"] == "var/a.sqlite3"
    assert parse_database_url("X", "sqlite:////tmp/a.sqlite3")["NAME"] == "/tmp/a.sqlite3"
    pg = parse_database_url("X", "postgresql://u:p%40ss@db.local:6543/anzu?sslmode=require")
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "u",
        "p@ss",
        "db.local",
        "6543",
        "anzu",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x/y", "unsupported scheme"),
        ("postgresql://h:abc/db", "port"),
        ("postgresql://h/", "database name"),
    ],
)
def test_parse_database_url_rejects(url, message):
    with pytest.raises(ConfigError, match=message):
        parse_database_url("DATABASE_URL", url)


def test_encryption_round_trip_and_blind_index():
    token = encrypt("13800001111")
    assert "13800001111" not in token
    assert decrypt(token) == "13800001111"
    assert blind_index("110101199003071234", purpose="id") == blind_index(
        " 110101199003071234 ", purpose="id"
    )
    assert blind_index("x", purpose="id") != blind_index("x", purpose="phone")


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("110101199003071234") == "110***********1234"
    assert mask_phone("123") == "***"


def test_resident_id_and_uscc_checksums():
    first17 = "11010519491231002"
    assert resident_id_check_digit(first17) == "X"
    assert resident_id_problem(first17 + "X") is None
    assert resident_id_problem(first17 + "1") == "The check digit of the ID number is wrong."
    assert (
        resident_id_problem("11010519491331002X")
        == "The birth date inside the ID number is not a valid date."
    )
    assert resident_id_problem("123") is not None
    uscc17 = "91350100M000100Y4"
    assert uscc_check_char(uscc17) == "3"
    assert uscc_problem(uscc17 + "3") is None
    assert uscc_problem(uscc17 + "4") is not None
    assert phone_problem("13812345678") is None
    assert phone_problem("021-12345678") is None
    assert phone_problem("12345") is not None


def test_validators_name_fields():
    with pytest.raises(ValidationFailed) as err:
        v.clean({"bogus": 1}, {"a": lambda x, f: x}, partial=True)
    assert err.value.field == "bogus"
    assert v.date("2026-03-01", field="d") == dt.date(2026, 3, 1)
    with pytest.raises(ValidationFailed) as err:
        v.integer("3.5", field="floor")
    assert err.value.field == "floor"
    with pytest.raises(ValidationFailed) as err:
        v.text("x" * 41, field="code", max_length=40)
    assert err.value.code == "too_long"
