"""The placeholder catalog and checks, and amounts in Chinese capital numerals (大写)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anzu.common.errors import ValidationFailed
from anzu.documents.notice_text import amount_in_words, check_template, layout, placeholders_in


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("1.05", "壹元零伍分"),
        ("10.00", "壹拾元整"),
        ("20.10", "贰拾元壹角"),
        ("1001.50", "壹仟零壹元伍角"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("6556.80", "陆仟伍佰伍拾陆元捌角"),
        ("10010.00", "壹万零壹拾元整"),
        ("1000000.00", "壹佰万元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("100000000.00", "壹亿元整"),
        ("100010000.00", "壹亿零壹万元整"),
        ("100000001.01", "壹亿零壹元零壹分"),
        ("9999999999.99", "玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_words_refuses_negative_and_non_decimal():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("-1.00"))
    with pytest.raises(ValueError):
        amount_in_words(1.5)  # type: ignore[arg-type]


def test_placeholders_in_order_and_literal_braces():
    names = placeholders_in(
        "{{注}} {customer_name}欠{amount_due}，{customer_name}请于{deadline}前付清", field="body"
    )
    assert names == ["customer_name", "amount_due", "deadline"]


@pytest.mark.parametrize(
    ("text", "code", "placeholder"),
    [
        ("尊敬的{tenant_name}：", "unknown_placeholder", "tenant_name"),
        ("金额{amount_due:.2f}", "invalid_template", "amount_due"),
        ("金额{amount_due!r}", "invalid_template", "amount_due"),
        ("{customer_name.__class__}", "unknown_placeholder", "customer_name.__class__"),
        ("{}", "unknown_placeholder", ""),
        ("请于{deadline前付款", "unbalanced_brace", "{deadline前付款"),
        ("请于deadline}前付款", "unbalanced_brace", "请于deadline}"),
    ],
)
def test_bad_templates_name_the_field_and_the_placeholder(text, code, placeholder):
    with pytest.raises(ValidationFailed) as info:
        placeholders_in(text, field="body")
    assert (info.value.code, info.value.field, info.value.extra["placeholder"]) == (
        code,
        "body",
        placeholder,
    )


def test_consequences_may_not_use_itself_or_the_table():
    with pytest.raises(ValidationFailed) as info:
        check_template(body="{consequences}", consequences="见{bills_table}")
    assert (info.value.field, info.value.extra["placeholder"]) == ("consequences", "bills_table")


def test_layout_puts_the_table_on_its_own_line_and_words_inline():
    values = {"customer_name": "李雷", "bills_table": "1. 租金"}
    blocks = layout(
        "致：{customer_name}\n\n{bills_table}\n另见：{bills_table}\n一、基本事实", values
    )
    assert [(b.text, b.is_table, b.style) for b in blocks] == [
        ("致：李雷", False, "address"),
        ("", True, "para"),
        ("另见：1. 租金", False, "para"),
        ("一、基本事实", False, "heading"),
    ]


def test_common_names_of_long_chinese_organization_names_fit_x509():
    from anzu.documents.pki import TEST_LABEL, common_name

    name = common_name("上海安租公寓管理有限公司（静安分公司）", TEST_LABEL)
    assert len(name.encode()) <= 64
    assert name == f"上海安租公寓管理有限公 {TEST_LABEL}"
    assert common_name("安租", TEST_LABEL) == f"安租 {TEST_LABEL}"
