"""Chinese numerals, 大写 amounts, Arabic amounts and rates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anzu.contracts.review.numbers import (
    format_chinese_int,
    format_daxie,
    parse_amount,
    parse_chinese_int,
    parse_count,
    parse_daxie_amount,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("零", 0),
        ("〇", 0),
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十五", 25),
        ("一百零五", 105),
        ("一千零一十", 1010),
        ("三千五百", 3500),
        ("三千五", 3500),
        ("两万", 20000),
        ("两万三", 23000),
        ("三万五千", 35000),
        ("一万零五百", 10500),
        ("十万", 100000),
        ("一百二十万", 1200000),
        ("一亿零三万", 100030000),
        ("二〇二五", 2025),
        ("二零二六", 2026),
        ("12", 12),
        ("两", 2),
        ("叁仟伍佰", 3500),
        ("壹拾贰", 12),
    ],
)
def test_parse_chinese_int(text: str, value: int) -> None:
    assert parse_chinese_int(text) == value


@pytest.mark.parametrize("text", ["", "三五百", "百", "abc", "三点五", "万万"])
def test_parse_chinese_int_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_chinese_int(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("叁仟伍佰元整", "3500.00"),
        ("人民币叁仟伍佰元整", "3500.00"),
        ("人民币：肆仟伍佰元整", "4500.00"),
        ("壹万零伍佰元", "10500.00"),
        ("壹万零伍拾元整", "10050.00"),
        ("壹拾万元整", "100000.00"),
        ("壹佰万零壹元整", "1000001.00"),
        ("贰拾元零伍分", "20.05"),
        ("叁仟伍佰元伍角", "3500.50"),
        ("叁仟伍佰元伍角陆分", "3500.56"),
        ("捌佰元", "800.00"),
        ("零元伍角", "0.50"),
        ("伍仟零陆拾元整", "5060.00"),
        ("壹万肆仟肆佰元正", "14400.00"),
        ("贰仟万元整", "20000000.00"),
        ("壹亿零伍佰万元整", "105000000.00"),
    ],
)
def test_parse_daxie(text: str, value: str) -> None:
    assert parse_daxie_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "叁仟伍佰", "元整", "hello元", "3500元"])
def test_parse_daxie_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_daxie_amount(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3500元", "3500.00"),
        ("3,500元", "3500.00"),
        ("12,345.67元", "12345.67"),
        ("¥3500.00", "3500.00"),
        ("¥ 3,500", "3500.00"),
        ("人民币4500元", "4500.00"),
        ("3.5万元", "35000.00"),
        ("2万", "20000.00"),
        ("1万2000元", "12000.00"),
        ("三千五百元", "3500.00"),
        ("两万元", "20000.00"),
        ("叁仟伍佰元整", "3500.00"),
        ("人民币壹万零伍佰元整", "10500.00"),
        ("4500", "4500.00"),
    ],
)
def test_parse_amount(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "元", "abc", "3,50元", "三五元"])
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("千分之五", "0.005"),
        ("千分之三", "0.003"),
        ("万分之五", "0.0005"),
        ("百分之三", "0.03"),
        ("百分之零点五", "0.005"),
        ("百分之十", "0.1"),
        ("百分之2", "0.02"),
        ("0.5%", "0.005"),
        ("1%", "0.01"),
        ("0.05％", "0.0005"),
        ("1‰", "0.001"),
        ("千分之1.5", "0.0015"),
    ],
)
def test_parse_rate(text: str, value: str) -> None:
    assert parse_rate(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "五", "千分之", "百分之点五", "abc%"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


@pytest.mark.parametrize(("text", "value"), [("15", 15), ("十五", 15), ("两", 2), ("三十", 30)])
def test_parse_count(text: str, value: int) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0", "零元整"),
        ("10", "壹拾元整"),
        ("105", "壹佰零伍元整"),
        ("1005", "壹仟零伍元整"),
        ("3500", "叁仟伍佰元整"),
        ("10500", "壹万零伍佰元整"),
        ("100000", "壹拾万元整"),
        ("3500.05", "叁仟伍佰元零伍分"),
        ("3500.5", "叁仟伍佰元伍角"),
    ],
)
def test_format_daxie(value: str, text: str) -> None:
    assert format_daxie(Decimal(value)) == text


def test_format_rejects_negative() -> None:
    with pytest.raises(ValueError):
        format_daxie(Decimal("-1"))
    with pytest.raises(ValueError):
        format_chinese_int(-1)


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_daxie_round_trip(value: Decimal) -> None:
    assert parse_daxie_amount(format_daxie(value)) == value
    assert parse_amount("人民币" + format_daxie(value)) == value


@given(st.integers(min_value=0, max_value=10**12))
def test_chinese_int_round_trip(value: int) -> None:
    assert parse_chinese_int(format_chinese_int(value)) == value
