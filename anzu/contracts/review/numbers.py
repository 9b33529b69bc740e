"""Numbers as written in Chinese contracts.

* Chinese numerals: 一二三…十百千万亿, 两, 〇/零 (``parse_chinese_int``), including the
  "date" style where each digit is written separately (二〇二五).
* 大写 amounts: 壹贰叁肆伍陆柒捌玖拾佰仟万亿 元角分整, optionally prefixed with 人民币
  (``parse_daxie_amount``) and the reverse, ``format_daxie``.
* Arabic amounts with thousands separators and 万 / 万元 units (``parse_amount``).
* Rates: 千分之五, 万分之五, 百分之三, 0.5%, 0.5％ (``parse_rate``).
* Counts of days / months written either way (``parse_count``).

Every parser raises ``ValueError`` naming the input when it cannot read it.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "壹": 1,
    "贰": 2,
    "貳": 2,
    "叁": 3,
    "參": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "陸": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
for _i, _c in enumerate("0123456789"):
    DIGITS[_c] = _i
for _i, _c in enumerate("０１２３４５６７８９"):
    DIGITS[_c] = _i

SMALL_UNITS: dict[str, int] = {
    "十": 10,
    "拾": 10,
    "百": 100,
    "佰": 100,
    "千": 1000,
    "仟": 1000,
}
BIG_UNITS: dict[str, int] = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

CN_NUMERAL_CHARS = "".join(sorted(set(DIGITS) | set(SMALL_UNITS) | set(BIG_UNITS)))
DAXIE_CHARS = "零壹贰貳叁參肆伍陆陸柒捌玖拾佰仟万萬亿億元圆角分整正"


def parse_chinese_int(text: str) -> int:
    """Parse a Chinese (or mixed Arabic) integer: 三千五百, 一万零五百, 两万, 十二, 二〇二五."""
    s = text.strip()
    if not s:
        raise ValueError(f"not a number: {text!r}")
    if any(ch not in DIGITS and ch not in SMALL_UNITS and ch not in BIG_UNITS for ch in s):
        raise ValueError(f"not a number: {text!r}")
    if all(ch in DIGITS for ch in s):
        # Digit by digit: 二〇二五 → 2025, 12 → 12.
        value = 0
        for ch in s:
            value = value * 10 + DIGITS[ch]
        return value
    total = 0  # completed 亿 groups
    section = 0  # completed 万 groups below the current 亿
    current = 0  # value below 万
    digit: int | None = None
    last_unit = 0
    for ch in s:
        if ch in DIGITS:
            if digit is not None and DIGITS[ch] != 0:
                # Two digits in a row ("三五") are not a number in unit notation.
                raise ValueError(f"not a number: {text!r}")
            digit = DIGITS[ch] if DIGITS[ch] != 0 else None
        elif ch in SMALL_UNITS:
            unit = SMALL_UNITS[ch]
            if digit is None:
                if unit == 10 and current == 0:
                    digit = 1  # 十二 = 12
                else:
                    raise ValueError(f"not a number: {text!r}")
            current += digit * unit
            digit = None
            last_unit = unit
        else:
            unit = BIG_UNITS[ch]
            current += digit or 0
            digit = None
            if current == 0 and (unit == 10_000 or section == 0):
                raise ValueError(f"not a number: {text!r}")
            if unit == 10_000:
                section = (section + current) * 10_000
            else:
                total = (total + section + current) * 100_000_000
                section = 0
            current = 0
            last_unit = unit
    if digit is not None:
        # A trailing digit right after a unit without 零 is shorthand: 三千五 = 3500.
        if last_unit >= 100 and _ends_in_abbrev(s):
            digit *= last_unit // 10
        current += digit
    return total + section + current


def _ends_in_abbrev(s: str) -> bool:
    """True for 三千五 / 两万三 (unit, then a single digit, with no 零 between)."""
    return len(s) >= 2 and s[-1] in DIGITS and (s[-2] in SMALL_UNITS or s[-2] in BIG_UNITS)


_DAXIE_RE = re.compile(
    r"^(?:人民币|RMB)?[:：]?\s*(?P<yuan>[零壹贰貳叁參肆伍陆陸柒捌玖拾佰仟万萬亿億〇一二三四五六七八九十百千两]*)"
    r"(?:[元圆])?(?:(?P<jiao>[零壹贰貳叁參肆伍陆陸柒捌玖一二三四五六七八九])角)?"
    r"(?:零?(?P<fen>[壹贰貳叁參肆伍陆陸柒捌玖一二三四五六七八九])分)?[整正]?$"
)


def parse_daxie_amount(text: str) -> Decimal:
    """Parse a 大写 amount: 人民币叁仟伍佰元整, 壹万零伍佰元, 贰拾元零伍分 → Decimal."""
    s = re.sub(r"\s+", "", text)
    m = _DAXIE_RE.match(s)
    if not m or not (m.group("yuan") or m.group("jiao") or m.group("fen")):
        raise ValueError(f"not a 大写 amount: {text!r}")
    if "元" not in s and "圆" not in s and not (m.group("jiao") or m.group("fen")):
        raise ValueError(f"not a 大写 amount (no 元): {text!r}")
    yuan = m.group("yuan")
    value = Decimal(parse_chinese_int(yuan)) if yuan and yuan.strip("零") else Decimal(0)
    if m.group("jiao"):
        value += Decimal(DIGITS[m.group("jiao")]) / 10
    if m.group("fen"):
        value += Decimal(DIGITS[m.group("fen")]) / 100
    return value.quantize(Decimal("0.01"))


_DAXIE_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_DAXIE_UNITS = ["", "拾", "佰", "仟"]


def _daxie_section(n: int) -> str:
    """0 < n < 10000, written with 大写 digits; inner zeros as a single 零."""
    out: list[str] = []
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            if out:
                zero = True
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DAXIE_DIGITS[d] + _DAXIE_UNITS[pos])
    return "".join(out)


def format_daxie(amount: Decimal) -> str:
    """Write a non-negative amount the way it appears in a contract: 叁仟伍佰元整."""
    if amount < 0:
        raise ValueError(f"negative amount: {amount}")
    cents = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    groups = []
    n = yuan
    while n:
        groups.append(n % 10_000)
        n //= 10_000
    parts: list[str] = []
    need_zero = False
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        unit = ["", "万", "亿", "万亿"][idx]
        if g == 0:
            need_zero = bool(parts)
            continue
        if parts and (need_zero or g < 1000):
            parts.append("零")
        parts.append(_daxie_section(g) + unit)
        need_zero = False
    text = "".join(parts) or "零"
    text += "元"
    if jiao == 0 and fen == 0:
        return text + "整"
    if jiao:
        text += _DAXIE_DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DAXIE_DIGITS[fen] + "分"
    return text


def format_chinese_int(n: int) -> str:
    """Write a non-negative integer in ordinary Chinese numerals: 12 → 十二, 3500 → 三千五百."""
    if n < 0:
        raise ValueError(f"negative number: {n}")
    if n == 0:
        return "零"
    text = format_daxie(Decimal(n))[:-2]  # drop 元整
    table = str.maketrans("壹贰叁肆伍陆柒捌玖拾佰仟", "一二三四五六七八九十百千")
    text = text.translate(table)
    if 10 <= n < 20:
        text = text[1:]  # 一十二 → 十二
    return text


_ARABIC_RE = re.compile(
    r"^[¥￥]?\s*(?P<num>\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>万元|万|元|圆)?$"
)


def parse_amount(text: str) -> Decimal:
    """Parse an amount in any usual form: 3,500元, ¥3500.00, 3.5万元, 三千五百元, 叁仟伍佰元整."""
    s = re.sub(r"\s+", "", text)
    for prefix in ("人民币", "RMB"):
        if s.startswith(prefix):
            s = s[len(prefix) :]
    s = s.lstrip(":：")
    m = _ARABIC_RE.match(s)
    if m:
        try:
            value = Decimal(m.group("num").replace(",", "").replace("，", ""))
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            raise ValueError(f"not an amount: {text!r}") from None
        if m.group("unit") in ("万元", "万"):
            value *= 10_000
        return value.quantize(Decimal("0.01"))
    m2 = re.match(r"^(?P<num>\d+(?:\.\d+)?)万(?P<rest>\d+)元?$", s)
    if m2:  # 1万2000元
        return (Decimal(m2.group("num")) * 10_000 + Decimal(m2.group("rest"))).quantize(
            Decimal("0.01")
        )
    if any(ch in s for ch in "壹贰貳叁參肆伍陆陸柒捌玖拾佰仟"):
        return parse_daxie_amount(s)
    if s.endswith(("元整", "元正")):
        s = s[:-2]
    elif s.endswith(("元", "圆")):
        s = s[:-1]
    if len(s) > 1 and all(ch in DIGITS for ch in s):
        raise ValueError(f"not an amount (digits without units): {text!r}")
    if s and all(ch in CN_NUMERAL_CHARS for ch in s):
        return Decimal(parse_chinese_int(s)).quantize(Decimal("0.01"))
    raise ValueError(f"not an amount: {text!r}")


_RATE_FRACTION = {"百分之": Decimal(100), "千分之": Decimal(1000), "万分之": Decimal(10_000)}


def parse_rate(text: str) -> Decimal:
    """Parse a rate: 千分之五 → 0.005, 百分之零点五 → 0.005, 0.5% → 0.005, 万分之五 → 0.0005."""
    s = re.sub(r"\s+", "", text)
    for prefix, denom in _RATE_FRACTION.items():
        if s.startswith(prefix):
            return _parse_decimal_any(s[len(prefix) :], text) / denom
    if s.endswith(("%", "％")):
        return _parse_decimal_any(s[:-1], text) / 100
    if s.endswith("‰"):
        return _parse_decimal_any(s[:-1], text) / 1000
    raise ValueError(f"not a rate: {text!r}")


def _parse_decimal_any(s: str, original: str) -> Decimal:
    """A decimal written with Arabic digits (0.5) or Chinese numerals (零点五, 五)."""
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return Decimal(s)
    if "点" in s:
        whole, frac = s.split("点", 1)
        if not whole or not frac or any(ch not in DIGITS for ch in frac):
            raise ValueError(f"not a rate: {original!r}")
        w = parse_chinese_int(whole)
        return Decimal(f"{w}.{''.join(str(DIGITS[ch]) for ch in frac)}")
    try:
        return Decimal(parse_chinese_int(s))
    except ValueError:
        raise ValueError(f"not a rate: {original!r}") from None


def parse_count(text: str) -> int:
    """Parse a count such as 15, 十五, 两, 三十 (days, months)."""
    s = text.strip()
    if re.fullmatch(r"\d+", s):
        return int(s)
    return parse_chinese_int(s)
