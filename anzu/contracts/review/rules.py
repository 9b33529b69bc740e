"""Review rules (as data) and the review entry point.

A rule is data: a code, a severity, its basis (a law article or an internal rule), a message
template in Chinese and English phrased as a point to check, and the names of the thresholds it
reads. The checks themselves are one function per code in :data:`CHECKS`; an organization can
change severities, messages and thresholds (see docs/contract-review.md) but not add codes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from anzu.contracts.review.extract import FIELD_NAMES, LESSOR_WORDS, _Doc, extract_doc
from anzu.contracts.review.numbers import parse_amount
from anzu.contracts.review.types import Extraction, FieldValue, Finding, ReviewResult

RULESET_VERSION = "2026.1"

RULE_CODES: tuple[str, ...] = (
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

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

DEFAULT_THRESHOLDS: dict[str, Decimal | int] = {
    "deposit_max_months": Decimal("3"),
    "prepay_max_months": 3,
    "penalty_max_share_of_annual_rent": Decimal("0.30"),
    "late_fee_max_daily_rate": Decimal("0.005"),
    "rent_below_market_ratio": Decimal("0.70"),
    "term_max_years": 20,
}

# Thresholds that are shares/ratios must lie in (0, 1]; the others must be positive; these are
# whole numbers.
_RATIO_THRESHOLDS = {
    "penalty_max_share_of_annual_rent",
    "late_fee_max_daily_rate",
    "rent_below_market_ratio",
}
_INT_THRESHOLDS = {"prepay_max_months", "term_max_years"}


@dataclass(frozen=True)
class Rule:
    """One review rule as data."""

    code: str
    severity: str
    basis: str
    message_zh: str
    message_en: str
    thresholds: tuple[str, ...] = ()
    enabled: bool = True
    version: str = RULESET_VERSION
    basis_en: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str, **values: Any) -> str:
        template = self.message_en if lang.startswith("en") else self.message_zh
        values = {k: _plain(v) for k, v in values.items()}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return template


def _plain(value: Any) -> Any:
    """Decimals as plain numbers in messages: 2800.00 → 2800, 0.50 → 0.5, 7E+1 → 70."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


_LAW_7 = "《商品房屋租赁管理办法》第七条"

DEFAULT_RULES: list[Rule] = [
    Rule(
        "MISSING_PROPERTY_FEE_PARTY",
        "medium",
        f"{_LAW_7}第（八）项",
        "请确认物业费由哪一方承担：合同未写明物业费的承担方。",
        "Check who pays the property management fee: the contract does not say.",
    ),
    Rule(
        "MISSING_UTILITIES_PARTY",
        "medium",
        f"{_LAW_7}第（八）项",
        "请确认水、电、燃气等费用由哪一方承担：合同未写明。",
        "Check who pays water, electricity and gas: the contract does not say.",
    ),
    Rule(
        "MISSING_DEPOSIT_TERMS",
        "medium",
        f"{_LAW_7}第（三）项；内部规则 R-03",
        "请补充押金条款：合同缺少{missing}。",
        "Check the deposit terms: the contract lacks {missing_en}.",
    ),
    Rule(
        "MISSING_REPAIR_RESPONSIBILITY",
        "medium",
        "《民法典》第七百一十二条；" + f"{_LAW_7}第（七）项",
        "请确认房屋及设施的维修责任由哪一方承担：合同未约定。",
        "Check who is responsible for repairs: the contract does not say.",
    ),
    Rule(
        "MISSING_DISPUTE_RESOLUTION",
        "low",
        f"{_LAW_7}第（九）项；《民法典》第四百七十条",
        "请确认争议解决方式（仲裁或诉讼）：合同未约定。",
        "Check how disputes are resolved (arbitration or court): the contract does not say.",
    ),
    Rule(
        "MISSING_PARTY_IDENTITY",
        "high",
        f"《民法典》第四百七十条；{_LAW_7}第（一）项",
        "请核对{party}（{name}）的身份证件号码或统一社会信用代码：合同中未载明。",
        "Check the ID number or unified social credit code of the {party_en} ({name}): "
        "the contract does not state it.",
    ),
    Rule(
        "AUTO_RENEWAL_INDEFINITE",
        "high",
        "《民法典》第七百零五条、第七百三十条；内部规则 R-01",
        "请核对续租条款：合同约定到期自动续期且无次数或期限限制，可能形成无限期租赁。",
        "Check the renewal clause: the lease renews automatically without a limit on renewals "
        "or total term.",
    ),
    Rule(
        "TERM_OVER_20_YEARS",
        "high",
        "《民法典》第七百零五条",
        "请核对租赁期限：约定期限为{months}个月，超过{max_years}年的部分无效。",
        "Check the lease term: {months} months exceeds {max_years} years; the excess is void.",
        ("term_max_years",),
    ),
    Rule(
        "UNILATERAL_RENT_INCREASE",
        "high",
        "《商品房屋租赁管理办法》第九条；《民法典》第五百四十三条",
        "请核对租金调整条款：出租方可单方调整或提高租金，未约定须双方协商一致。",
        "Check the rent adjustment clause: the lessor may raise the rent unilaterally.",
    ),
    Rule(
        "SUBLET_CONFLICT",
        "medium",
        "《民法典》第七百一十六条；内部规则 R-02",
        "请核对转租条款：一处禁止转租或分租，另一处却允许承租方自行转租。",
        "Check the sublet clauses: one forbids subletting or shared renting while another "
        "freely permits it.",
    ),
    Rule(
        "RENT_BELOW_MARKET",
        "medium",
        "内部规则 R-04",
        "请核对月租金：{rent}元低于市场租金{market}元的{ratio_pct}%。",
        "Check the monthly rent: {rent} is below {ratio_pct}% of the market rent {market}.",
        ("rent_below_market_ratio",),
    ),
    Rule(
        "DEPOSIT_EXCESSIVE",
        "medium",
        "内部规则 R-06",
        "请核对押金数额：押金相当于{months}个月租金，超过{max_months}个月。",
        "Check the deposit: it equals {months} months' rent, more than {max_months}.",
        ("deposit_max_months",),
    ),
    Rule(
        "RENT_PREPAY_EXCESSIVE",
        "high",
        "内部规则 R-07",
        "请核对租金支付周期：每期预收{months}个月租金，超过{max_months}个月。",
        "Check the payment cycle: {months} months of rent are collected in advance, more than "
        "{max_months}.",
        ("prepay_max_months",),
    ),
    Rule(
        "PENALTY_EXCESSIVE",
        "medium",
        "《民法典》第五百八十五条；内部规则 R-08",
        "请核对违约责任：{detail}。",
        "Check the liability clause: {detail_en}.",
        ("penalty_max_share_of_annual_rent", "late_fee_max_daily_rate"),
    ),
    Rule(
        "AMOUNT_INCONSISTENT",
        "high",
        "内部规则 R-09",
        "请核对金额：大写{big}元与小写{small}元不一致。",
        "Check the amount: the words say {big}, the figures say {small}.",
    ),
    Rule(
        "DATE_INCONSISTENT",
        "high",
        "内部规则 R-10",
        "请核对租赁期限：{detail}。",
        "Check the lease dates: {detail_en}.",
    ),
]


def validate_thresholds(thresholds: Mapping[str, Any] | None) -> dict[str, Decimal | int]:
    """Merge ``thresholds`` over the defaults; unknown keys or bad values raise ValueError."""
    merged: dict[str, Decimal | int] = dict(DEFAULT_THRESHOLDS)
    if thresholds is None:
        return merged
    if not isinstance(thresholds, Mapping):
        raise ValueError("thresholds: must be a mapping of name to number")
    for key, raw in thresholds.items():
        if key not in DEFAULT_THRESHOLDS:
            raise ValueError(f"thresholds.{key}: unknown threshold")
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise ValueError(f"thresholds.{key}: not a number: {raw!r}")
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"thresholds.{key}: not a number: {raw!r}") from None
        if not value.is_finite() or value <= 0:
            raise ValueError(f"thresholds.{key}: must be a positive number, got {raw!r}")
        if key in _RATIO_THRESHOLDS and value > 1:
            raise ValueError(f"thresholds.{key}: must be a share between 0 and 1, got {raw!r}")
        if key in _INT_THRESHOLDS:
            if value != value.to_integral_value():
                raise ValueError(f"thresholds.{key}: must be a whole number, got {raw!r}")
            merged[key] = int(value)
        else:
            merged[key] = value
    return merged


_RULE_KEYS = {
    "code",
    "severity",
    "basis",
    "message_zh",
    "message_en",
    "thresholds",
    "enabled",
    "version",
    "basis_en",
    "extra",
}


def validate_rules(rules: Iterable[Rule | Mapping[str, Any]]) -> list[Rule]:
    """Turn rules given as data (dicts or :class:`Rule`) into checked ``Rule`` objects.

    A dict may give only ``code`` plus the keys it changes; missing keys come from the default
    rule of the same code. Unknown codes, severities or keys and duplicate codes raise
    ``ValueError`` naming the rule and the key.
    """
    if isinstance(rules, str | bytes | Mapping):
        raise ValueError("rules: must be a list of rules")
    defaults = {r.code: r for r in DEFAULT_RULES}
    out: list[Rule] = []
    seen: set[str] = set()
    for i, item in enumerate(rules):
        if isinstance(item, Rule):
            data: dict[str, Any] = {k: getattr(item, k) for k in _RULE_KEYS}
        elif isinstance(item, Mapping):
            data = dict(item)
        else:
            raise ValueError(f"rules[{i}]: must be a mapping, got {type(item).__name__}")
        code = data.get("code")
        if code not in defaults:
            raise ValueError(f"rules[{i}].code: unknown rule code {code!r}")
        if code in seen:
            raise ValueError(f"rules[{i}].code: duplicate rule code {code!r}")
        seen.add(code)
        unknown = sorted(set(data) - _RULE_KEYS)
        if unknown:
            raise ValueError(f"rules[{i}].{unknown[0]}: unknown key in rule {code}")
        base = defaults[code]
        merged = {k: data.get(k, getattr(base, k)) for k in _RULE_KEYS}
        if merged["severity"] not in SEVERITIES:
            raise ValueError(f"rules[{i}].severity: must be one of high, medium, low (rule {code})")
        for key in ("basis", "message_zh", "message_en"):
            if not isinstance(merged[key], str) or not merged[key].strip():
                raise ValueError(f"rules[{i}].{key}: must be a non-empty text (rule {code})")
        if not isinstance(merged["enabled"], bool):
            raise ValueError(f"rules[{i}].enabled: must be true or false (rule {code})")
        ths = merged["thresholds"]
        if isinstance(ths, Mapping):
            raise ValueError(f"rules[{i}].thresholds: list threshold names (rule {code})")
        ths = tuple(ths)
        for name in ths:
            if name not in DEFAULT_THRESHOLDS:
                raise ValueError(f"rules[{i}].thresholds: unknown threshold {name!r} (rule {code})")
        merged["thresholds"] = ths
        out.append(Rule(**merged))
    return out


# --------------------------------------------------------------------------------------------
# Checks: one function per code. Each returns (message values, start, end) tuples.

Hit = tuple[dict[str, Any], int, int]


@dataclass
class _Ctx:
    text: str
    doc: _Doc
    ex: Extraction
    th: dict[str, Decimal | int]
    market_rent: Decimal | None

    def f(self, name: str) -> FieldValue | None:
        return self.ex.fields.get(name)

    def sentence(self, pattern: str, flags: int = 0) -> Iterable[tuple[int, int, str]]:
        """Clauses matching ``pattern``: (start, end) in the original text, normalized clause."""
        for a, b in self.doc.sentences:
            sent = self.doc.norm[a:b]
            if re.search(pattern, sent, flags):
                yield (*self.doc.span(a, b), sent)

    def heading(self, pattern: str) -> tuple[int, int]:
        """The span of the first section heading matching ``pattern``, else (0, 0)."""
        for m in re.finditer(
            r"^[ \t]*(?:第[一二三四五六七八九十百\d]+条|[一二三四五六七八九十]+、|\d{1,2}\s*[.、](?!\d)|\([一二三四五六七八九十]+\))[^\n]{0,30}",
            self.doc.norm,
            re.M,
        ):
            if re.search(pattern, m.group()):
                s = m.start() + (len(m.group()) - len(m.group().lstrip()))
                line_end = self.doc.norm.find("\n", s)
                end = m.end() if line_end == -1 else min(m.end(), line_end)
                return self.doc.span(s, len(self.doc.norm[s:end].rstrip()) + s)
        return 0, 0


def _missing(field_name: str, heading: str) -> Callable[[_Ctx], list[Hit]]:
    def check(c: _Ctx) -> list[Hit]:
        if c.f(field_name) is not None:
            return []
        s, e = c.heading(heading)
        return [({}, s, e)]

    return check


_NO_DEPOSIT = r"不收取(?:任何)?(?:押金|保证金)|无需(?:支付|缴纳)(?:押金|保证金)|免押金|免收押金"


def _check_deposit_terms(c: _Ctx) -> list[Hit]:
    if any(True for _ in c.sentence(_NO_DEPOSIT)):
        return []
    missing = []
    missing_en = []
    if c.f("deposit") is None:
        missing.append("押金数额")
        missing_en.append("the amount")
    if c.f("deposit_return_terms") is None:
        missing.append("退还时间")
        missing_en.append("when it is returned")
    if c.f("deposit_deduction_terms") is None:
        missing.append("可扣除押金的情形")
        missing_en.append("the cases in which it may be withheld")
    if not missing:
        return []
    anchor = c.f("deposit")
    s, e = (anchor.start, anchor.end) if anchor else c.heading(r"押金|保证金")
    return [({"missing": "、".join(missing), "missing_en": ", ".join(missing_en)}, s, e)]


_PARTY_LABEL = {"lessor": ("出租方", "lessor"), "lessee": ("承租方", "lessee")}


def _check_identity(c: _Ctx) -> list[Hit]:
    hits: list[Hit] = []
    for role in ("lessor", "lessee"):
        if c.f(f"{role}_id") is not None:
            continue
        party = c.f(role)
        zh, en = _PARTY_LABEL[role]
        if party is not None:
            hits.append(
                ({"party": zh, "party_en": en, "name": party.value}, party.start, party.end)
            )
        else:
            s, e = c.heading(r"当事人|双方")
            hits.append(({"party": zh, "party_en": en, "name": "未写明"}, s, e))
    return hits


_AUTO = r"自动(?:续期|续租|续约|续签|延续|顺延|延长|延期|续展|展期)|视为(?:同意)?(?:续租|续约|续期)|默认续(?:租|约)"
_INDEFINITE = (
    r"以此类推|依此类推|依次类推|不限次数|次数不限|期限不限|不限期限|无限期|无固定期限|循环|周而复始|每次(?:均|都)?自动|"
    r"均自动|直至(?:任何)?一方(?:书面)?(?:提出|通知)|直到(?:任何)?一方(?:书面)?(?:提出|通知)|不设(?:续期)?(?:次数|期限)|连续自动"
)
_LIMITED = (
    r"以一次为限|仅限一次|限续一次|续期一次|最多(?:续期|续租)\s*\S{1,2}次"
    r"|不(?:会|得|再|能)?自动|不适用|不视为"
)


def _check_auto_renewal(c: _Ctx) -> list[Hit]:
    for a, b, sent in c.sentence(_AUTO):
        if re.search(_INDEFINITE, sent) and not re.search(_LIMITED, sent):
            return [({}, a, b)]
    return []


def _months_between(start: dt.date, end: dt.date) -> int | None:
    """Whole months from ``start`` to ``end`` inclusive (a lease day count), None if ragged."""
    nxt = end + dt.timedelta(days=1)
    months = (nxt.year - start.year) * 12 + (nxt.month - start.month)
    if nxt.day == start.day:
        return months
    # Leases often end on the same day number as they start (2025-03-01 → 2026-03-01), or
    # run to a month end: allow one day either way.
    for cand in (months, months - 1, months + 1):
        if cand <= 0:
            continue
        y, mo = divmod(start.month - 1 + cand, 12)
        try:
            target = dt.date(start.year + y, mo + 1, min(start.day, 28 if mo + 1 == 2 else 30))
        except ValueError:  # pragma: no cover - day clamped above
            continue
        if abs((nxt - target).days) <= 3:
            return cand
    return None


def _lease_months(c: _Ctx) -> tuple[int, int, int] | None:
    sd, ed = c.f("start_date"), c.f("end_date")
    if sd is None or ed is None or ed.value < sd.value:
        return None
    m = _months_between(sd.value, ed.value)
    if m is None:
        days = (ed.value - sd.value).days + 1
        m = round(days / 30.4375)
    return m, sd.start, ed.end


def _check_term(c: _Ctx) -> list[Hit]:
    max_months = int(c.th["term_max_years"]) * 12
    term = c.f("term_months")
    if term is not None and term.value > max_months:
        return [({"months": term.value, "max_years": c.th["term_max_years"]}, term.start, term.end)]
    lm = _lease_months(c)
    if lm and lm[0] > max_months:
        return [({"months": lm[0], "max_years": c.th["term_max_years"]}, lm[1], lm[2])]
    return []


_LESSOR_ACT = rf"(?:{LESSOR_WORDS})"
_RAISE = r"调整|上调|调高|提高|上涨|涨价|增加|变更"
_ONE_SIDED = r"有权|可以|可|保留|单方|随时|自行|视.{0,8}情况"
_CONSENT = r"协商一致|双方协商|经乙方(?:书面)?同意|经承租[方人](?:书面)?同意|双方同意|双方书面|不得|不会|无权|不能|禁止"


def _check_unilateral_increase(c: _Ctx) -> list[Hit]:
    for a, b, sent in c.sentence(r"租金|房租"):
        if not re.search(_LESSOR_ACT, sent):
            continue
        if not re.search(
            rf"{_LESSOR_ACT}[^。;]{{0,20}}(?:{_ONE_SIDED})[^。;]{{0,20}}(?:{_RAISE})", sent
        ) and not re.search(rf"由{_LESSOR_ACT}(?:单方面?|自行)?(?:确定|决定|调整)", sent):
            continue
        if re.search(_CONSENT, sent):
            continue
        return [({}, a, b)]
    return []


_SUBLET = r"转租|分租|群租|合租|转借"
_FORBID = r"不得|禁止|严禁|不允许|不准|不可|不能"
_FREE = r"无需|无须|不需|不必|不用|自行|自由|随意|任意"
_PERMIT = r"可以|可|有权|允许|准许"


def _check_sublet(c: _Ctx) -> list[Hit]:
    forbid = permit = None
    for a, b, sent in c.sentence(_SUBLET):
        if re.search(_FORBID, sent):
            forbid = forbid or (a, b)
        elif re.search(_PERMIT, sent) and (
            re.search(_FREE, sent) or not re.search(r"同意|许可|批准|书面|备案", sent)
        ):
            permit = permit or (a, b)
    if forbid and permit:
        return [({}, permit[0], permit[1])]
    return []


def _check_below_market(c: _Ctx) -> list[Hit]:
    rent = c.f("monthly_rent")
    if c.market_rent is None or rent is None:
        return []
    ratio = Decimal(c.th["rent_below_market_ratio"])
    if rent.value < c.market_rent * ratio:
        return [
            (
                {
                    "rent": rent.value,
                    "market": c.market_rent,
                    "ratio_pct": (ratio * 100).normalize(),
                },
                rent.start,
                rent.end,
            )
        ]
    return []


def _check_deposit_excessive(c: _Ctx) -> list[Hit]:
    dm = c.f("deposit_months")
    dep = c.f("deposit")
    rent = c.f("monthly_rent")
    limit = Decimal(c.th["deposit_max_months"])
    months: Decimal | None = None
    span: FieldValue | None = None
    if dm is not None:
        months, span = Decimal(dm.value), dm
    if dep is not None and rent is not None and rent.value:
        by_amount = (dep.value / rent.value).quantize(Decimal("0.01"))
        if months is None or by_amount > months:
            months, span = by_amount, dep
    if months is not None and span is not None and months > limit:
        return [
            ({"months": months.normalize(), "max_months": limit.normalize()}, span.start, span.end)
        ]
    return []


def _check_prepay(c: _Ctx) -> list[Hit]:
    pm = c.f("pay_months")
    limit = int(c.th["prepay_max_months"])
    if pm is not None and pm.value > limit:
        return [({"months": pm.value, "max_months": limit}, pm.start, pm.end)]
    return []


def _check_penalty(c: _Ctx) -> list[Hit]:
    hits: list[Hit] = []
    pen = c.f("penalty_amount")
    rent = c.f("monthly_rent")
    share = Decimal(c.th["penalty_max_share_of_annual_rent"])
    if pen is not None and rent is not None:
        cap = rent.value * 12 * share
        if pen.value > cap:
            pct = (share * 100).normalize()
            hits.append(
                (
                    {
                        "detail": f"违约金{_plain(pen.value)}元超过年租金的{_plain(pct)}%（{_plain(cap.quantize(Decimal('0.01')))}元）",
                        "detail_en": f"the penalty {_plain(pen.value)} exceeds {_plain(pct)}% of the annual rent",
                    },
                    pen.start,
                    pen.end,
                )
            )
    late = c.f("late_fee_daily_rate")
    max_rate = Decimal(c.th["late_fee_max_daily_rate"])
    if late is not None and late.value > max_rate:
        pct = (max_rate * 100).normalize()
        hits.append(
            (
                {
                    "detail": f"逾期付款日费率{_plain(late.value * 100)}%高于每日{_plain(pct)}%",
                    "detail_en": f"the daily late-payment rate {_plain(late.value * 100)}% is above {_plain(pct)}%",
                },
                late.start,
                late.end,
            )
        )
    return hits


_DXC = "零壹贰貳叁參肆伍陆陸柒捌玖拾佰仟万萬亿億"
_BIG = rf"[{_DXC}]+[元圆](?:[{_DXC}]角)?(?:零?[{_DXC}]分)?[整正]?"
_SMALL = r"¥?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?\s*(?:万元|元整?|万)?"
_PAIRS = [
    re.compile(rf"(?P<small>{_SMALL})\s*\(\s*(?:大写)?\s*:?\s*(?:人民币)?\s*(?P<big>{_BIG})\s*\)"),
    re.compile(
        rf"(?:人民币)?(?P<big>{_BIG})\s*\(\s*(?:小写)?\s*:?\s*(?:人民币)?\s*(?P<small>{_SMALL})\s*\)"
    ),
    re.compile(
        rf"小写\s*:?\s*(?:人民币)?\s*(?P<small>{_SMALL})[\s,，;；、]*大写\s*:?\s*(?:人民币)?\s*(?P<big>{_BIG})"
    ),
    re.compile(
        rf"大写\s*:?\s*(?:人民币)?\s*(?P<big>{_BIG})[\s,，;；、]*小写\s*:?\s*(?:人民币)?\s*(?P<small>{_SMALL})"
    ),
]


def amount_pairs(text: str | _Doc) -> list[tuple[Decimal, Decimal, int, int]]:
    """Every (大写 value, 小写 value, start, end) written side by side in ``text``."""
    doc = text if isinstance(text, _Doc) else _Doc(text)
    norm = doc.norm
    out: list[tuple[Decimal, Decimal, int, int]] = []
    taken: list[tuple[int, int]] = []
    for pat in _PAIRS:
        for m in pat.finditer(norm):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            small = m.group("small").strip().removesuffix("整")
            if not re.search(r"\d", small):
                continue
            try:
                big_v = parse_amount(m.group("big"))
                small_v = parse_amount(small if re.search(r"[元万¥]", small) else small + "元")
            except ValueError:
                continue
            start = m.start() + (len(m.group()) - len(m.group().lstrip()))
            out.append((big_v, small_v, *doc.span(start, m.end())))
            taken.append((m.start(), m.end()))
    return sorted(out, key=lambda t: t[2])


def _check_amounts(c: _Ctx) -> list[Hit]:
    hits: list[Hit] = []
    for big, small, s, e in amount_pairs(c.doc):
        if big != small:
            hits.append(({"big": big, "small": small}, s, e))
    return hits


def _check_dates(c: _Ctx) -> list[Hit]:
    sd, ed = c.f("start_date"), c.f("end_date")
    if sd is None or ed is None:
        return []
    if ed.value < sd.value:
        return [
            (
                {
                    "detail": f"终止日期{ed.value.isoformat()}早于起始日期{sd.value.isoformat()}",
                    "detail_en": f"the end date {ed.value.isoformat()} is before the start date {sd.value.isoformat()}",
                },
                sd.start,
                ed.end,
            )
        ]
    term = c.f("term_months")
    if term is None:
        return []
    months = _months_between(sd.value, ed.value)
    if months != term.value:
        span = (
            "约" + str(round(((ed.value - sd.value).days + 1) / 30.4375))
            if months is None
            else str(months)
        )
        return [
            (
                {
                    "detail": f"约定租期{term.value}个月，但起止日期之间为{span}个月",
                    "detail_en": f"the stated term is {term.value} months but the dates span {span} months",
                },
                term.start,
                term.end,
            )
        ]
    return []


CHECKS: dict[str, Callable[[_Ctx], list[Hit]]] = {
    "MISSING_PROPERTY_FEE_PARTY": _missing("property_fee_party", r"费用|物业"),
    "MISSING_UTILITIES_PARTY": _missing("utilities_party", r"费用|水电"),
    "MISSING_DEPOSIT_TERMS": _check_deposit_terms,
    "MISSING_REPAIR_RESPONSIBILITY": _missing("repair_responsibility", r"维修|修缮|维护"),
    "MISSING_DISPUTE_RESOLUTION": _missing("dispute_resolution", r"争议|纠纷"),
    "MISSING_PARTY_IDENTITY": _check_identity,
    "AUTO_RENEWAL_INDEFINITE": _check_auto_renewal,
    "TERM_OVER_20_YEARS": _check_term,
    "UNILATERAL_RENT_INCREASE": _check_unilateral_increase,
    "SUBLET_CONFLICT": _check_sublet,
    "RENT_BELOW_MARKET": _check_below_market,
    "DEPOSIT_EXCESSIVE": _check_deposit_excessive,
    "RENT_PREPAY_EXCESSIVE": _check_prepay,
    "PENALTY_EXCESSIVE": _check_penalty,
    "AMOUNT_INCONSISTENT": _check_amounts,
    "DATE_INCONSISTENT": _check_dates,
}
assert set(CHECKS) == set(RULE_CODES) == {r.code for r in DEFAULT_RULES}


_DATE_FIELDS = {"start_date", "end_date"}
_DECIMAL_FIELDS = {
    "monthly_rent",
    "deposit",
    "penalty_amount",
    "deposit_months",
    "late_fee_daily_rate",
}
_INT_FIELDS = {"term_months", "pay_months", "rent_free_days", "due_day"}
_PARTY_FIELDS = {"property_fee_party", "utilities_party"}


def _coerce(name: str, raw: Any) -> Any:
    """A corrected value in the type the extractor gives the field; ValueError names it."""
    where = f"corrections.{name}"
    if name in _DATE_FIELDS:
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError(f"{where}: not a date (YYYY-MM-DD): {raw!r}") from None
    if name in _DECIMAL_FIELDS:
        if isinstance(raw, bool):
            raise ValueError(f"{where}: not a number: {raw!r}")
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"{where}: not a number: {raw!r}") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"{where}: must be zero or more, got {raw!r}")
        return value
    if name in _INT_FIELDS:
        if isinstance(raw, bool):
            raise ValueError(f"{where}: not a whole number: {raw!r}")
        try:
            dec = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"{where}: not a whole number: {raw!r}") from None
        if not dec.is_finite() or dec != dec.to_integral_value() or dec < 0:
            raise ValueError(f"{where}: not a whole number: {raw!r}")
        return int(dec)
    if name in _PARTY_FIELDS:
        if raw not in ("lessor", "lessee", "shared"):
            raise ValueError(f"{where}: must be lessor, lessee or shared, got {raw!r}")
        return raw
    if not isinstance(raw, str):
        raise ValueError(f"{where}: must be a text, got {raw!r}")
    return raw


def _apply_corrections(ex: Extraction, corrections: Mapping[str, Any]) -> None:
    """Replace extracted values by reviewed ones (confidence 1.0, the extracted span kept).

    ``None`` or an empty text removes the field (the reviewer found the contract silent).
    """
    if not isinstance(corrections, Mapping):
        raise ValueError("corrections: must be a mapping of field name to value")
    for name, raw in corrections.items():
        if name not in FIELD_NAMES:
            raise ValueError(f"corrections.{name}: unknown field")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            ex.fields.pop(name, None)
            continue
        value = _coerce(name, raw)
        old = ex.fields.get(name)
        start, end, evidence = (old.start, old.end, old.evidence) if old else (0, 0, "")
        ex.fields[name] = FieldValue(value, start, end, 1.0, evidence)
    ex.fields = {k: ex.fields[k] for k in FIELD_NAMES if k in ex.fields}


def _risk_level(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    return "high" if "high" in severities else "medium" if "medium" in severities else "low"


def review(
    text: str,
    *,
    market_rent: Decimal | int | str | None = None,
    thresholds: Mapping[str, Any] | None = None,
    rules: Iterable[Rule | Mapping[str, Any]] | None = None,
    lang: str = "zh",
    corrections: Mapping[str, Any] | None = None,
) -> ReviewResult:
    """Review a lease text: extract its fields and apply the rules.

    ``market_rent`` is the comparable monthly rent (yuan); ``thresholds`` override
    :data:`DEFAULT_THRESHOLDS` key by key; ``rules`` replaces :data:`DEFAULT_RULES` (as data,
    validated); ``corrections`` maps field names to values a reviewer confirmed or corrected
    (JSON-style: dates as ``YYYY-MM-DD``, amounts and rates as strings or numbers), which replace
    the extracted values before the rules run. Bad thresholds, rules or corrections raise
    ``ValueError`` naming the key.
    """
    if not isinstance(text, str):
        raise ValueError("text: must be a string")
    th = validate_thresholds(thresholds)
    rule_list = DEFAULT_RULES if rules is None else validate_rules(rules)
    market: Decimal | None = None
    if market_rent is not None:
        try:
            market = Decimal(str(market_rent))
        except InvalidOperation:
            raise ValueError(f"market_rent: not an amount: {market_rent!r}") from None
        if not market.is_finite() or market <= 0:
            raise ValueError(f"market_rent: must be a positive amount, got {market_rent!r}")
    doc = _Doc(text)
    ex = extract_doc(doc)
    if corrections:
        _apply_corrections(ex, corrections)
    ctx = _Ctx(text=text, doc=doc, ex=ex, th=th, market_rent=market)
    findings: list[Finding] = []
    for rule in rule_list:
        if not rule.enabled:
            continue
        for values, start, end in CHECKS[rule.code](ctx):
            findings.append(
                Finding(
                    code=rule.code,
                    severity=rule.severity,
                    message=rule.message(lang, **values),
                    evidence=text[start:end],
                    start=start,
                    end=end,
                    basis=rule.basis,
                )
            )
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.start, f.code))
    return ReviewResult(fields=ex.fields, findings=findings, risk_level=_risk_level(findings))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_json(result: ReviewResult) -> dict[str, Any]:
    """The JSON object of a review (Decimals and dates as strings)."""
    return {
        "fields": {
            name: {
                "value": _jsonable(fv.value),
                "start": fv.start,
                "end": fv.end,
                "confidence": fv.confidence,
                "evidence": fv.evidence,
            }
            for name, fv in result.fields.items()
        },
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "evidence": f.evidence,
                "start": f.start,
                "end": f.end,
                "basis": f.basis,
            }
            for f in result.findings
        ],
        "risk_level": result.risk_level,
    }
