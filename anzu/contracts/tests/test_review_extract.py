"""Key-field extraction: values, offsets and provenance."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anzu.contracts.review import FIELD_NAMES, extract, to_json
from anzu.contracts.review.extract import id_check_digit, parse_date, uscc_check_char
from anzu.contracts.review.rules import review

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
NUMERIC_FIELDS = {
    "monthly_rent",
    "deposit",
    "deposit_months",
    "penalty_amount",
    "late_fee_daily_rate",
    "term_months",
    "pay_months",
    "due_day",
    "rent_free_days",
}


def test_corpus_size_and_variety() -> None:
    texts = {name: (CORPUS / name).read_text(encoding="utf-8") for name in EXPECTED}
    assert len(texts) >= 36
    assert sorted(p.name for p in CORPUS.glob("*.txt")) == sorted(EXPECTED)
    for city in ("北京", "上海", "深圳", "杭州", "成都", "武汉"):
        assert sum(city in t for t in texts.values()) >= 2, city
    assert sum("第一条" in t for t in texts.values()) >= 5
    assert sum("\n一、" in t for t in texts.values()) >= 5
    assert sum("\n1." in t for t in texts.values()) >= 5
    assert sum("保证金" in t for t in texts.values()) >= 5
    assert sum("统一社会信用代码" in t for t in texts.values()) >= 3
    assert sum(not e["codes"] for e in EXPECTED.values()) >= 5
    assert max(len(t) for t in texts.values()) >= 8000  # the ten-page contract


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_fields(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    fields = to_json(review(text))["fields"]
    for key, want in EXPECTED[name]["fields"].items():
        got = fields.get(key, {}).get("value")
        if key in NUMERIC_FIELDS:
            assert got is not None and Decimal(str(got)) == Decimal(str(want)), (key, got, want)
        else:
            assert got == want, (key, got, want)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_evidence_is_the_text_at_the_offsets(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    ex = extract(text)
    assert set(ex.fields) <= set(FIELD_NAMES)
    for key, fv in ex.fields.items():
        assert 0 <= fv.start <= fv.end <= len(text), key
        assert fv.evidence == text[fv.start : fv.end], key
        assert 0 < fv.confidence <= 1, key
    for finding in review(text).findings:
        assert finding.evidence == text[finding.start : finding.end]


def _fields(text: str) -> dict[str, object]:
    return {k: v.value for k, v in extract(text).fields.items()}


def test_parties_with_various_wording() -> None:
    for lessor_word, lessee_word in (
        ("出租方（甲方）", "承租方（乙方）"),
        ("甲方（出租人）", "乙方（承租人）"),
        ("房东", "租客"),
        ("出租人", "承租人"),
    ):
        text = f"房屋租赁合同\n{lessor_word}：王建国\n身份证号码：{_pid('11010519800101001')}\n{lessee_word}：李小红\n身份证号：{_pid('31010119900202002')}\n"
        f = _fields(text)
        assert f["lessor"] == "王建国"
        assert f["lessee"] == "李小红"
        assert f["lessor_id"] == _pid("11010519800101001")
        assert f["lessee_id"] == _pid("31010119900202002")


def test_company_lessor_with_credit_code_and_blank_id() -> None:
    code = "91310115MA1H7X2K3" + uscc_check_char("91310115MA1H7X2K3")
    text = f"甲方：上海某某公寓管理有限公司\n统一社会信用代码：{code}\n乙方：陈晨\n身份证号码：______\n"
    ex = extract(text)
    assert ex.fields["lessor_id"].value == code
    assert ex.fields["lessor_id"].confidence == 0.95
    assert "lessee_id" not in ex.fields


def test_id_with_a_wrong_check_digit_has_low_confidence() -> None:
    good = _pid("11010519800101001")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    ex = extract(f"甲方：王建国\n身份证号码：{bad}\n")
    assert ex.fields["lessor_id"].value == bad
    assert ex.fields["lessor_id"].confidence < 0.9


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("租赁期自2025年3月1日起至2026年2月28日止", dt.date(2025, 3, 1), dt.date(2026, 2, 28)),
        ("租期：2025-03-01至2026-02-28", dt.date(2025, 3, 1), dt.date(2026, 2, 28)),
        (
            "租赁期限自二〇二五年三月一日起至二〇二六年二月二十八日止",
            dt.date(2025, 3, 1),
            dt.date(2026, 2, 28),
        ),
        ("从2025/3/1到2026/2/28", dt.date(2025, 3, 1), dt.date(2026, 2, 28)),
        ("自2025年３月１日起至2026年２月28日止", dt.date(2025, 3, 1), dt.date(2026, 2, 28)),
    ],
)
def test_dates(phrase: str, start: dt.date, end: dt.date) -> None:
    text = "合同\n" + phrase + "。\n"
    ex = extract(text)
    assert ex.fields["start_date"].value == start
    assert ex.fields["end_date"].value == end
    assert (
        text[ex.fields["start_date"].start : ex.fields["start_date"].end]
        == ex.fields["start_date"].evidence
    )


def test_parse_date_rejects_an_impossible_date() -> None:
    with pytest.raises(ValueError):
        parse_date("2025年2月30日")
    with pytest.raises(ValueError):
        parse_date("tomorrow")


@pytest.mark.parametrize(
    ("phrase", "months"),
    [
        ("租赁期限为12个月", 12),
        ("租期一年", 12),
        ("租赁期限共计二十四个月", 24),
        ("租期两年", 24),
        ("租赁期为3年", 36),
        ("租期六个月", 6),
    ],
)
def test_term(phrase: str, months: int) -> None:
    assert _fields(phrase + "。")["term_months"] == months


def test_term_is_not_a_year_of_a_date() -> None:
    assert "term_months" not in _fields("租期为2025年3月1日至2026年2月28日。")


@pytest.mark.parametrize(
    ("phrase", "rent"),
    [
        ("月租金为人民币3500元（大写：叁仟伍佰元整）", "3500"),
        ("租金标准为每月人民币叁仟伍佰元整（¥3,500.00）", "3500"),
        ("每月租金3,500元", "3500"),
        ("乙方每月应支付租金人民币3500元整", "3500"),
        ("房屋租金为3500元/月", "3500"),
        ("房租每月3600元", "3600"),
        ("月租金1.2万元", "12000"),
        ("年租金为人民币60000元", "5000"),
    ],
)
def test_monthly_rent(phrase: str, rent: str) -> None:
    assert _fields(phrase + "。")["monthly_rent"] == Decimal(rent)


@pytest.mark.parametrize(
    ("phrase", "deposit_months", "pay_months"),
    [
        ("付款方式为押一付三", 1, 3),
        ("押2付1", 2, 1),
        ("押二付六", 2, 6),
    ],
)
def test_payment_cycle(phrase: str, deposit_months: int, pay_months: int) -> None:
    f = _fields("月租金为3000元。" + phrase + "。")
    assert f["deposit_months"] == Decimal(deposit_months)
    assert f["pay_months"] == pay_months
    assert f["deposit"] == Decimal(3000 * deposit_months)


@pytest.mark.parametrize(
    ("phrase", "pay_months"),
    [
        ("租金按月支付", 1),
        ("租金按季度支付", 3),
        ("租金每三个月支付一次", 3),
        ("租金按半年支付", 6),
        ("房租半年付", 6),
        ("租金按年支付", 12),
        ("乙方应一次性支付全年租金", 12),
    ],
)
def test_pay_months_without_ya_fu(phrase: str, pay_months: int) -> None:
    assert _fields(phrase + "。")["pay_months"] == pay_months


@pytest.mark.parametrize(
    ("phrase", "deposit", "months"),
    [
        ("月租金为4000元。乙方支付押金人民币8000元", "8000", "2"),
        ("月租金为4000元。租赁保证金为三个月租金", "12000", "3"),
        ("月租金为4000元。保证金金额为人民币壹万贰仟元整", "12000", "3"),
        ("月租金为4000元。押金：6000元", "6000", "1.5"),
    ],
)
def test_deposit(phrase: str, deposit: str, months: str) -> None:
    f = _fields(phrase + "。")
    assert f["deposit"] == Decimal(deposit)
    assert f["deposit_months"] == Decimal(months)


def test_rent_free_due_day_late_fee_and_penalty() -> None:
    text = (
        "月租金为5000元。甲方给予乙方免租期10天。乙方应于每月5日前支付当月租金。"
        "乙方逾期支付租金的，每逾期一日，按应付租金的千分之三支付违约金。"
        "乙方提前退租的，应支付两个月租金作为违约金。"
    )
    f = _fields(text)
    assert f["rent_free_days"] == 10
    assert f["due_day"] == 5
    assert f["late_fee_daily_rate"] == Decimal("0.003")
    assert f["penalty_amount"] == Decimal("10000")


def test_penalty_as_share_of_annual_rent_and_fixed_amount() -> None:
    f = _fields("月租金为5000元。违约方应支付年租金的20%作为违约金。")
    assert f["penalty_amount"] == Decimal("12000")
    f = _fields("月租金为5000元。违约方应向守约方支付违约金人民币8000元。")
    assert f["penalty_amount"] == Decimal("8000")


@pytest.mark.parametrize(
    ("text", "prop", "util"),
    [
        ("物业费由甲方承担。水电费由乙方承担。", "lessor", "lessee"),
        ("水、电、燃气费由承租方承担，物业管理费由出租方承担。", "lessor", "lessee"),
        ("乙方负责缴纳水费、电费。月租金已包含物业费。", "lessor", "lessee"),
        ("租赁期间下列费用由乙方承担：\n1. 水费、电费；\n2. 物业服务费。", "lessee", "lessee"),
        ("水电燃气由租客自理。物业费由房东交。", "lessor", "lessee"),
        ("物业费：甲方；水电燃气费：乙方。", "lessor", "lessee"),
        ("费用承担：物业管理费——乙方承担；水电费——乙方承担。", "lessee", "lessee"),
    ],
)
def test_fee_parties(text: str, prop: str, util: str) -> None:
    f = _fields(text)
    assert f["property_fee_party"] == prop
    assert f["utilities_party"] == util


def test_fee_mentioned_without_a_party_is_not_a_party() -> None:
    f = _fields("物业费按小区物业公司规定标准缴纳。水电费按实际用量结算。")
    assert "property_fee_party" not in f
    assert "utilities_party" not in f


def test_clause_fields_are_whole_clauses_not_headings() -> None:
    text = "八、续租\n租赁期满，乙方如需续租，应提前三十日书面通知甲方。\n"
    ex = extract(text)
    assert ex.fields["renewal_terms"].value == "租赁期满，乙方如需续租，应提前三十日书面通知甲方"


def test_dispute_clause_spanning_a_semicolon() -> None:
    text = "因本合同引起的争议，双方协商解决；协商不成的，提交北京仲裁委员会仲裁。"
    fv = extract(text).fields["dispute_resolution"]
    assert fv.value.endswith("提交北京仲裁委员会仲裁")
    assert fv.start == 0


def test_empty_text_has_no_fields() -> None:
    assert extract("").fields == {}
    assert extract("   \n").fields == {}


def _pid(first17: str) -> str:
    return first17 + id_check_digit(first17)


def _wrap(text: str, width: int) -> str:
    """The text as a PDF text layer or OCR gives it: one line per printed line."""
    out = []
    for line in text.split("\n"):
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("width", [20, 33])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_lines_wrapped_mid_sentence_give_the_same_review(name: str, width: int) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    wrapped = _wrap(text, width)
    entry = EXPECTED[name]
    result = review(wrapped, market_rent=entry.get("market_rent"))
    assert sorted({f.code for f in result.findings}) == sorted(entry["codes"])
    data = to_json(result)["fields"]
    for key, want in entry["fields"].items():
        got = data.get(key, {}).get("value")
        if key in NUMERIC_FIELDS:
            assert got is not None and Decimal(str(got)) == Decimal(str(want)), (key, got, want)
        else:
            assert got == want, (key, got, want)
    for fv in result.fields.values():
        assert wrapped[fv.start : fv.end] == fv.evidence
    for f in result.findings:
        assert wrapped[f.start : f.end] == f.evidence


def test_wrapped_clause_value_is_joined_and_evidence_keeps_the_break() -> None:
    text = "第五条 其他费用\n租赁期间，水费、电费、燃气费由乙方承担，物业管理\n费由甲方承担。\n"
    ex = extract(text)
    fv = ex.fields["property_fee_party"]
    assert fv.value == "lessor"
    assert "\n" in fv.evidence and fv.evidence == text[fv.start : fv.end]
    assert ex.fields["utilities_party"].value == "lessee"


_PIECES = [
    "甲方",
    "乙方",
    "出租方",
    "承租人",
    "：",
    ":",
    "（",
    "）",
    "，",
    "。",
    "；",
    "\n",
    " ",
    "　",
    "押",
    "付",
    "一",
    "三",
    "十",
    "两",
    "〇",
    "2025",
    "年",
    "3",
    "月",
    "1",
    "日",
    "至",
    "起",
    "止",
    "租金",
    "月租金",
    "押金",
    "保证金",
    "元",
    "万",
    "¥",
    "3,500",
    "叁仟伍佰",
    "元整",
    "大写",
    "小写",
    "千分之五",
    "0.5%",
    "每逾期一日",
    "违约金",
    "物业费",
    "水电费",
    "由",
    "承担",
    "转租",
    "不得",
    "可以",
    "自动续期",
    "以此类推",
    "争议",
    "仲裁",
    "维修",
    "负责",
    "身份证号码",
    "110105198001010016",
    "第一条",
    "一、",
    "1.",
    "租赁期限为",
    "个月",
    "坐落于",
    "退还",
    "扣除",
    "免租期",
    "天",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=80).map("".join))
def test_any_text_reviews_without_error_and_with_valid_offsets(text: str) -> None:
    result = review(text, market_rent=Decimal("5000"))
    for fv in result.fields.values():
        assert 0 <= fv.start <= fv.end <= len(text)
        assert fv.evidence == text[fv.start : fv.end]
    for f in result.findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert f.evidence == text[f.start : f.end]
    assert result.risk_level in ("high", "medium", "low")
    json.dumps(to_json(result), ensure_ascii=False)
