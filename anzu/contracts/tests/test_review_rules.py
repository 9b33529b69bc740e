"""Review rules: each code positive and negative, thresholds, rules as data, JSON shape."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from anzu.contracts.review import (
    DEFAULT_RULES,
    DEFAULT_THRESHOLDS,
    RULE_CODES,
    Rule,
    review,
    to_json,
)
from anzu.contracts.review.rules import amount_pairs, validate_rules, validate_thresholds

CORPUS = Path(__file__).parent / "corpus"
BASE = (CORPUS / "lease_00.txt").read_text(encoding="utf-8")  # a clean lease, monthly rent 2800


def codes(text: str, **kw: object) -> set[str]:
    return {f.code for f in review(text, **kw).findings}  # type: ignore[arg-type]


def mutate(*pairs: tuple[str, str]) -> str:
    text = BASE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_base_contract_is_clean() -> None:
    result = review(BASE, market_rent=Decimal("3000"))
    assert result.findings == []
    assert result.risk_level == "low"


def test_rule_codes_are_exactly_the_documented_ones() -> None:
    assert RULE_CODES == (
        "MISSING_PROPERTY_FEE_PARTY",
        "MISSING_UTILITIES_PARTY",
        "MISSING_DEPOSIT_TERMS",
        "MISSING_REPAIR_RESPONSIBILITY",
        "MISSING_DISPUTE_RESOLUTION",
        "MISSING_PARTY_IDENTITY",
        "AUTO_RENEWAL_INDEFINITE",
        "TERM_OVER_20_YEARS",
        "UNILATERAL_RENT_INCREASE",
        "SUBLET_CONFLICT",
        "RENT_BELOW_MARKET",
        "DEPOSIT_EXCESSIVE",
        "RENT_PREPAY_EXCESSIVE",
        "PENALTY_EXCESSIVE",
        "AMOUNT_INCONSISTENT",
        "DATE_INCONSISTENT",
    )
    assert [r.code for r in DEFAULT_RULES] == list(RULE_CODES)
    for rule in DEFAULT_RULES:
        assert rule.severity in ("high", "medium", "low")
        assert rule.basis and rule.message_zh.startswith("请") and rule.message_en


# Each case: a change to the clean lease that must raise exactly ``code``.
POSITIVE = {
    "MISSING_PROPERTY_FEE_PARTY": [("物业管理费由甲方承担。", "")],
    "MISSING_UTILITIES_PARTY": [
        ("租赁期间，水费、电费、燃气费由乙方承担，乙方应按时向有关单位缴纳。", "")
    ],
    "MISSING_DEPOSIT_TERMS": [
        (
            "租赁期满或合同解除后，乙方结清租金及应承担的各项费用并返还房屋的，甲方应在七日内将押金无息退还乙方。\n",
            "",
        )
    ],
    "MISSING_REPAIR_RESPONSIBILITY": [
        (
            "租赁期间，房屋主体结构及甲方提供的设施设备因自然属性或合理使用发生损坏的，由甲方负责维修；因乙方使用不当造成损坏的，由乙方负责维修或者赔偿。",
            "房屋维修事宜由双方另行协商。",
        )
    ],
    "MISSING_DISPUTE_RESOLUTION": [
        (
            "因本合同引起的争议，双方应协商解决；协商不成的，依法向房屋所在地人民法院起诉。",
            "因本合同引起的争议，双方应友好协商解决。",
        )
    ],
    "MISSING_PARTY_IDENTITY": [("身份证号码：110108197505090747\n", "")],
    "AUTO_RENEWAL_INDEFINITE": [
        (
            "租赁期满，乙方如需续租，应提前三十日书面通知甲方，经双方协商一致后重新签订租赁合同。",
            "租赁期满双方均未提出异议的，本合同自动续租一年，以后每年以此类推。",
        )
    ],
    "TERM_OVER_20_YEARS": [
        (
            "租赁期限为12个月，自2025年1月15日起至2026年1月14日止。",
            "租赁期限为三十年，自2025年1月15日起至2055年1月14日止。",
        )
    ],
    "UNILATERAL_RENT_INCREASE": [
        ("甲方收取租金后应向乙方出具收据或发票。", "甲方有权根据市场行情随时上调租金。")
    ],
    "SUBLET_CONFLICT": [
        ("甲方收取租金后应向乙方出具收据或发票。", "乙方可以自由转租房屋，无需甲方同意。")
    ],
    "DEPOSIT_EXCESSIVE": [("押金人民币2800元（大写：贰仟捌佰元整）", "押金人民币11200.50元")],
    "RENT_PREPAY_EXCESSIVE": [("租金按月支付", "租金按半年支付")],
    "PENALTY_EXCESSIVE": [
        ("应向对方支付相当于一个月租金的违约金", "应向对方支付违约金人民币12000元")
    ],
    "AMOUNT_INCONSISTENT": [
        ("月租金为人民币2800元（大写：贰仟捌佰元整）", "月租金为人民币2800元（大写：贰仟伍佰元整）")
    ],
    "DATE_INCONSISTENT": [("至2026年1月14日止", "至2027年1月14日止")],
}


@pytest.mark.parametrize("code", sorted(POSITIVE))
def test_rule_fires(code: str) -> None:
    text = mutate(*POSITIVE[code])
    result = review(text)
    assert {f.code for f in result.findings} == {code}
    (finding,) = result.findings
    rule = next(r for r in DEFAULT_RULES if r.code == code)
    assert finding.severity == rule.severity
    assert finding.basis == rule.basis
    assert finding.message.startswith("请")
    assert finding.evidence == text[finding.start : finding.end]
    assert result.risk_level == rule.severity


# Each case: a similar-looking change that must NOT raise the code.
NEGATIVE = {
    "MISSING_PROPERTY_FEE_PARTY": [("物业管理费由甲方承担。", "月租金已包含物业管理费。")],
    "MISSING_UTILITIES_PARTY": [
        (
            "租赁期间，水费、电费、燃气费由乙方承担，乙方应按时向有关单位缴纳。",
            "乙方自行负责缴纳水电燃气费用。",
        )
    ],
    "MISSING_DEPOSIT_TERMS": [
        (
            "乙方应于签订本合同时向甲方支付押金人民币2800元（大写：贰仟捌佰元整）。\n租赁期满或合同解除后，乙方结清租金及应承担的各项费用并返还房屋的，甲方应在七日内将押金无息退还乙方。\n乙方未结清租金及其他应付款项，或造成房屋及设施损坏未予赔偿的，甲方可从押金中扣除相应金额，不足部分由乙方补足。",
            "本合同不收取押金。",
        )
    ],
    "MISSING_REPAIR_RESPONSIBILITY": [
        (
            "租赁期间，房屋主体结构及甲方提供的设施设备因自然属性或合理使用发生损坏的，由甲方负责维修；因乙方使用不当造成损坏的，由乙方负责维修或者赔偿。",
            "乙方发现设施损坏的，甲方应在接到通知后三日内维修。",
        )
    ],
    "MISSING_DISPUTE_RESOLUTION": [
        (
            "因本合同引起的争议，双方应协商解决；协商不成的，依法向房屋所在地人民法院起诉。",
            "本合同发生纠纷，提交北京仲裁委员会仲裁。",
        )
    ],
    "MISSING_PARTY_IDENTITY": [
        ("身份证号码：110108197505090747", "证件号码（居民身份证）：110108197505090747")
    ],
    "AUTO_RENEWAL_INDEFINITE": [
        (
            "租赁期满，乙方如需续租，应提前三十日书面通知甲方，经双方协商一致后重新签订租赁合同。",
            "租赁期满双方均未提出异议的，本合同自动续期一年，续期以一次为限。",
        )
    ],
    "TERM_OVER_20_YEARS": [
        (
            "租赁期限为12个月，自2025年1月15日起至2026年1月14日止。",
            "租赁期限为二十年，自2025年1月15日起至2045年1月14日止。",
        )
    ],
    "UNILATERAL_RENT_INCREASE": [
        (
            "甲方收取租金后应向乙方出具收据或发票。",
            "租赁期内甲方不得单方提高租金，如需调整须经双方协商一致。",
        ),
    ],
    "SUBLET_CONFLICT": [
        ("甲方收取租金后应向乙方出具收据或发票。", "经甲方书面同意，乙方可以将次卧转租。")
    ],
    "DEPOSIT_EXCESSIVE": [("押金人民币2800元（大写：贰仟捌佰元整）", "押金人民币8400元")],
    "RENT_PREPAY_EXCESSIVE": [("租金按月支付", "租金按季度支付")],
    "PENALTY_EXCESSIVE": [
        ("应向对方支付相当于一个月租金的违约金", "应向对方支付违约金人民币10080元"),
        ("千分之五", "0.5%"),
    ],
    "AMOUNT_INCONSISTENT": [
        ("月租金为人民币2800元（大写：贰仟捌佰元整）", "月租金为人民币贰仟捌佰元整（¥2,800.00）")
    ],
    "DATE_INCONSISTENT": [
        (
            "租赁期限为12个月，自2025年1月15日起至2026年1月14日止",
            "租赁期限为12个月，自2025年1月15日起至2026年1月15日止",
        )
    ],
}


@pytest.mark.parametrize("code", sorted(NEGATIVE))
def test_rule_does_not_fire_on_a_similar_clause(code: str) -> None:
    text = BASE
    for old, new in NEGATIVE[code]:
        assert old in text, old
        text = text.replace(old, new)
    assert code not in codes(text)


def test_every_code_has_positive_and_negative_cases() -> None:
    assert set(POSITIVE) | {"RENT_BELOW_MARKET"} == set(RULE_CODES)
    assert set(NEGATIVE) | {"RENT_BELOW_MARKET"} == set(RULE_CODES)


def test_rent_below_market_needs_a_market_rent() -> None:
    assert "RENT_BELOW_MARKET" not in codes(BASE)
    assert "RENT_BELOW_MARKET" not in codes(BASE, market_rent=Decimal("4000"))  # 2800 = 70 %
    result = review(BASE, market_rent="4001")
    (finding,) = result.findings
    assert finding.code == "RENT_BELOW_MARKET"
    assert finding.evidence == "2800元"
    assert "2800" in finding.message and "4001" in finding.message and "70" in finding.message


def test_end_before_start() -> None:
    text = mutate(
        (
            "租赁期限为12个月，自2025年1月15日起至2026年1月14日止",
            "自2025年1月15日起至2024年1月14日止",
        )
    )
    (finding,) = review(text).findings
    assert finding.code == "DATE_INCONSISTENT"
    assert "早于" in finding.message


def test_lessee_missing_entirely_names_the_party() -> None:
    text = mutate(("身份证号码：110105197209040375\n", ""))
    (finding,) = review(text).findings
    assert finding.code == "MISSING_PARTY_IDENTITY"
    assert finding.evidence == "张伟"
    assert "出租方（张伟）" in finding.message


def test_missing_clause_points_at_the_section_heading() -> None:
    text = mutate(("物业管理费由甲方承担。", ""))
    (finding,) = review(text).findings
    assert finding.evidence == "第五条 其他费用"


def test_missing_clause_without_heading_points_at_the_start() -> None:
    text = "出租方：王强\n身份证号码：110105198001010016\n承租方：李梅\n身份证号码：110105199001010021\n月租金3000元。"
    findings = {f.code: f for f in review(text).findings}
    f = findings["MISSING_REPAIR_RESPONSIBILITY"]
    assert (f.start, f.end, f.evidence) == (0, 0, "")


def test_thresholds_can_be_overridden() -> None:
    text = mutate(("租金按月支付", "租金按季度支付"))
    assert "RENT_PREPAY_EXCESSIVE" not in codes(text)
    assert "RENT_PREPAY_EXCESSIVE" in codes(text, thresholds={"prepay_max_months": 2})
    # deposit of 1 month with a limit of half a month
    assert "DEPOSIT_EXCESSIVE" in codes(BASE, thresholds={"deposit_max_months": "0.5"})
    # 千分之五 is above a 0.3 ‰ daily cap
    result = review(BASE, thresholds={"late_fee_max_daily_rate": Decimal("0.0003")})
    assert [f.code for f in result.findings] == ["PENALTY_EXCESSIVE"]
    assert "逾期付款日费率0.5%" in result.findings[0].message
    assert "RENT_BELOW_MARKET" in codes(
        BASE, market_rent=3500, thresholds={"rent_below_market_ratio": 0.9}
    )
    assert "TERM_OVER_20_YEARS" not in codes(BASE, thresholds={"term_max_years": 1})
    long_term = mutate(
        ("至2026年1月14日止", "至2027年1月14日止"), ("租赁期限为12个月", "租赁期限为24个月")
    )
    assert "TERM_OVER_20_YEARS" in codes(long_term, thresholds={"term_max_years": 1})
    assert "PENALTY_EXCESSIVE" in codes(
        BASE, thresholds={"penalty_max_share_of_annual_rent": "0.05"}
    )


def test_default_thresholds() -> None:
    assert {
        "deposit_max_months": Decimal("3"),
        "prepay_max_months": 3,
        "penalty_max_share_of_annual_rent": Decimal("0.30"),
        "late_fee_max_daily_rate": Decimal("0.005"),
        "rent_below_market_ratio": Decimal("0.70"),
        "term_max_years": 20,
    } == DEFAULT_THRESHOLDS
    merged = validate_thresholds({"deposit_max_months": 2})
    assert merged["deposit_max_months"] == Decimal(2)
    assert merged["term_max_years"] == 20
    assert DEFAULT_THRESHOLDS["deposit_max_months"] == Decimal(3)  # not mutated


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"deposit_max": 3}, "thresholds.deposit_max: unknown threshold"),
        ({"deposit_max_months": "three"}, "thresholds.deposit_max_months: not a number"),
        ({"deposit_max_months": -1}, "thresholds.deposit_max_months: must be a positive number"),
        ({"deposit_max_months": 0}, "thresholds.deposit_max_months: must be a positive number"),
        ({"deposit_max_months": True}, "thresholds.deposit_max_months: not a number"),
        ({"deposit_max_months": None}, "thresholds.deposit_max_months: not a number"),
        ({"rent_below_market_ratio": "1.5"}, "thresholds.rent_below_market_ratio: must be a share"),
        ({"term_max_years": 2.5}, "thresholds.term_max_years: must be a whole number"),
        (
            {"late_fee_max_daily_rate": "NaN"},
            "thresholds.late_fee_max_daily_rate: must be a positive number",
        ),
        (["deposit_max_months"], "thresholds: must be a mapping"),
    ],
)
def test_bad_thresholds_are_named(thresholds: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.", 1)):
        review(BASE, thresholds=thresholds)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"code": "NO_SUCH_RULE"}], r"rules\[0\]\.code: unknown rule code 'NO_SUCH_RULE'"),
        ([{"severity": "high"}], r"rules\[0\]\.code: unknown rule code None"),
        ([{"code": "TERM_OVER_20_YEARS", "severity": "urgent"}], r"rules\[0\]\.severity"),
        ([{"code": "TERM_OVER_20_YEARS", "basis": ""}], r"rules\[0\]\.basis"),
        ([{"code": "TERM_OVER_20_YEARS", "message_zh": "  "}], r"rules\[0\]\.message_zh"),
        ([{"code": "TERM_OVER_20_YEARS", "colour": "red"}], r"rules\[0\]\.colour: unknown key"),
        (
            [{"code": "TERM_OVER_20_YEARS", "thresholds": ["term_max_decades"]}],
            r"rules\[0\]\.thresholds: unknown threshold",
        ),
        ([{"code": "TERM_OVER_20_YEARS", "enabled": "yes"}], r"rules\[0\]\.enabled"),
        (
            [{"code": "TERM_OVER_20_YEARS"}, {"code": "TERM_OVER_20_YEARS"}],
            r"rules\[1\]\.code: duplicate",
        ),
        (["TERM_OVER_20_YEARS"], r"rules\[0\]: must be a mapping"),
        ({"code": "TERM_OVER_20_YEARS"}, r"rules: must be a list"),
    ],
)
def test_bad_rule_data_is_named(rules: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        review(BASE, rules=rules)  # type: ignore[arg-type]


def test_rules_as_data_change_severity_message_and_selection() -> None:
    text = mutate(*POSITIVE["RENT_PREPAY_EXCESSIVE"])
    rules = [
        {
            "code": "RENT_PREPAY_EXCESSIVE",
            "severity": "low",
            "message_zh": "请注意：每期收{months}个月租金。",
        },
        {"code": "DEPOSIT_EXCESSIVE"},
    ]
    result = review(text, rules=rules)
    (finding,) = result.findings
    assert (finding.severity, finding.message) == ("low", "请注意：每期收6个月租金。")
    assert result.risk_level == "low"
    # Disabled rules and rules left out do not run.
    assert review(text, rules=[{"code": "RENT_PREPAY_EXCESSIVE", "enabled": False}]).findings == []
    assert review(text, rules=[{"code": "DEPOSIT_EXCESSIVE"}]).findings == []
    # Rule objects are accepted as they are.
    assert validate_rules(DEFAULT_RULES) == DEFAULT_RULES
    assert isinstance(validate_rules([{"code": "DATE_INCONSISTENT"}])[0], Rule)


def test_english_messages() -> None:
    text = mutate(*POSITIVE["RENT_PREPAY_EXCESSIVE"])
    (finding,) = review(text, lang="en").findings
    assert (
        finding.message
        == "Check the payment cycle: 6 months of rent are collected in advance, more than 3."
    )


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "NaN"])
def test_bad_market_rent(bad: str) -> None:
    with pytest.raises(ValueError, match="market_rent"):
        review(BASE, market_rent=bad)


def test_risk_level_is_the_highest_severity() -> None:
    medium = mutate(*POSITIVE["MISSING_UTILITIES_PARTY"])
    assert review(medium).risk_level == "medium"
    both = mutate(*POSITIVE["MISSING_UTILITIES_PARTY"], *POSITIVE["AMOUNT_INCONSISTENT"])
    result = review(both)
    assert result.risk_level == "high"
    assert [f.severity for f in result.findings] == ["high", "medium"]
    low = mutate(*POSITIVE["MISSING_DISPUTE_RESOLUTION"])
    assert review(low).risk_level == "low"


def test_amount_pairs_in_every_written_form() -> None:
    text = (
        "租金3500元（大写：叁仟伍佰元整）；押金人民币柒仟元整（¥7,000.00）；"
        "违约金小写：2000元，大写：贰仟元整；服务费大写：伍佰元，小写：600元。"
    )
    pairs = [(big, small) for big, small, _s, _e in amount_pairs(text)]
    assert pairs == [
        (Decimal("3500.00"), Decimal("3500.00")),
        (Decimal("7000.00"), Decimal("7000.00")),
        (Decimal("2000.00"), Decimal("2000.00")),
        (Decimal("500.00"), Decimal("600.00")),
    ]


def test_to_json_shape() -> None:
    text = mutate(*POSITIVE["AMOUNT_INCONSISTENT"])
    data = to_json(review(text))
    assert list(data) == ["fields", "findings", "risk_level"]
    json.dumps(data, ensure_ascii=False)  # everything serializable
    for fv in data["fields"].values():
        assert list(fv) == ["value", "start", "end", "confidence", "evidence"]
    assert data["fields"]["monthly_rent"]["value"] == "2800.00"
    assert data["fields"]["start_date"]["value"] == "2025-01-15"
    assert data["fields"]["term_months"]["value"] == 12
    (finding,) = data["findings"]
    assert list(finding) == ["code", "severity", "message", "evidence", "start", "end", "basis"]
    assert finding["code"] == "AMOUNT_INCONSISTENT"
    assert finding["evidence"] == "2800元（大写：贰仟伍佰元整）"
    assert data["risk_level"] == "high"


def test_text_must_be_a_string() -> None:
    with pytest.raises(ValueError, match="text"):
        review(b"bytes")  # type: ignore[arg-type]


def test_corrections_replace_extracted_values_before_the_rules() -> None:
    # The reviewer says the rent is 800 a month: the 2800 deposit is now 3.5 months.
    result = review(BASE, corrections={"monthly_rent": "800"})
    assert [f.code for f in result.findings] == ["DEPOSIT_EXCESSIVE"]
    rent = result.fields["monthly_rent"]
    assert (rent.value, rent.confidence, rent.evidence) == (Decimal("800"), 1.0, "2800元")
    # Supplying a missing clause's value clears the missing-clause finding.
    text = mutate(*POSITIVE["MISSING_PROPERTY_FEE_PARTY"])
    result = review(text, corrections={"property_fee_party": "lessee"})
    assert result.findings == []
    assert (result.fields["property_fee_party"].start, result.fields["property_fee_party"].end) == (
        0,
        0,
    )
    # None removes a field; dates and integers come as JSON values.
    assert "MISSING_REPAIR_RESPONSIBILITY" in codes(
        BASE, corrections={"repair_responsibility": None}
    )
    result = review(BASE, corrections={"end_date": "2027-01-14", "term_months": 24})
    assert result.findings == []
    assert review(BASE, corrections={"term_months": "13"}).findings[0].code == "DATE_INCONSISTENT"


@pytest.mark.parametrize(
    ("corrections", "message"),
    [
        ({"rent": "800"}, r"corrections\.rent: unknown field"),
        ({"monthly_rent": "eight"}, r"corrections\.monthly_rent: not a number"),
        ({"monthly_rent": "-1"}, r"corrections\.monthly_rent: must be zero or more"),
        ({"start_date": "2025/13/01"}, r"corrections\.start_date: not a date"),
        ({"due_day": "5.5"}, r"corrections\.due_day: not a whole number"),
        ({"pay_months": True}, r"corrections\.pay_months: not a whole number"),
        (
            {"utilities_party": "tenant"},
            r"corrections\.utilities_party: must be lessor, lessee or shared",
        ),
        ({"renewal_terms": 5}, r"corrections\.renewal_terms: must be a text"),
        (["monthly_rent"], r"corrections: must be a mapping"),
    ],
)
def test_bad_corrections_are_named(corrections: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        review(BASE, corrections=corrections)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "clause",
    [
        "租赁期满后如双方无异议，合同自动续约一年，并依次类推。",
        "本合同期满后自动延期，延期期限不限。",
        "合同到期后自动续期，续期次数不限。",
        "期满未通知的视为续租，此后每次均自动续租一年。",
        "本合同自动延续，直至任何一方书面通知解除为止。",
    ],
)
def test_auto_renewal_wordings(clause: str) -> None:
    text = mutate(
        (
            "租赁期满，乙方如需续租，应提前三十日书面通知甲方，经双方协商一致后重新签订租赁合同。",
            clause,
        )
    )
    assert codes(text) == {"AUTO_RENEWAL_INDEFINITE"}


@pytest.mark.parametrize(
    "clause",
    [
        "租赁期满，双方均未提出异议的，本合同自动续期一年，续期以一次为限。",
        "租赁期满后自动续期一次，最多续期1次。",
        "租赁期满，乙方在同等条件下享有优先承租权，续租事宜另行协商，以此类推的自动续期不适用本合同。",
    ],
)
def test_limited_or_negotiated_renewal_is_not_indefinite(clause: str) -> None:
    text = mutate(
        (
            "租赁期满，乙方如需续租，应提前三十日书面通知甲方，经双方协商一致后重新签订租赁合同。",
            clause,
        )
    )
    assert "AUTO_RENEWAL_INDEFINITE" not in codes(text)
