"""Key-field extraction from Chinese residential lease texts.

``extract(text)`` returns an :class:`Extraction` whose ``fields`` map each field name in
:data:`FIELD_NAMES` that was found to a :class:`FieldValue`. Offsets are character offsets into
``text`` and ``evidence == text[start:end]``. A field that is not found is absent from
``fields`` (the rules treat absence as "the contract does not say").

The extractor works on a copy of the text with full-width punctuation and digits replaced by
their ASCII forms character for character, so every offset found in the copy is valid in the
original.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from anzu.contracts.review import numbers
from anzu.contracts.review.types import Extraction, FieldValue

FIELD_NAMES: tuple[str, ...] = (
    "lessor",
    "lessee",
    "lessor_id",
    "lessee_id",
    "address",
    "start_date",
    "end_date",
    "term_months",
    "monthly_rent",
    "deposit",
    "deposit_months",
    "pay_months",
    "rent_free_days",
    "due_day",
    "late_fee_daily_rate",
    "penalty_amount",
    "property_fee_party",
    "utilities_party",
    "renewal_terms",
    "sublet_terms",
    "repair_responsibility",
    "dispute_resolution",
    "deposit_return_terms",
    "deposit_deduction_terms",
)

# One character in, one character out: offsets stay valid.
_NORMALIZE = str.maketrans(
    "：（）０１２３４５６７８９％￥　Ｘｘ～﹪",
    ":()0123456789%¥ XX~%",
)

LESSOR_WORDS = r"甲方|出租方|出租人|房东|业主"
LESSEE_WORDS = r"乙方|承租方|承租人|租客|租户"
_PARTY_RE = re.compile(rf"(?P<lessor>{LESSOR_WORDS})|(?P<lessee>{LESSEE_WORDS})|(?P<both>双方)")

CN_NUM = "零〇○一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟"
NUM = rf"(?:\d+|[{CN_NUM}]+)"
DX = "零壹贰貳叁參肆伍陆陸柒捌玖拾佰仟万萬亿億"

ARABIC_AMOUNT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?"
AMOUNT = (
    rf"(?:(?:人民币|RMB)\s*)?(?:¥\s*{ARABIC_AMOUNT}(?:\s*(?:万元|元))?"
    rf"|{ARABIC_AMOUNT}\s*(?:万元|元|万(?=元|/月|每月))"
    rf"|[{DX}]+[元圆](?:[{DX}]角)?(?:零?[{DX}]分)?[整正]?"
    rf"|[一二三四五六七八九十百千万两零]+元)"
)
AMOUNT_RE = re.compile(AMOUNT)

RATE = (
    r"(?:千分之|百分之|万分之)(?:\d+(?:\.\d+)?|[零〇一二三四五六七八九十两]+(?:点[零〇一二三四五六七八九]+)?)"
    r"|\d+(?:\.\d+)?\s*[%‰]"
)
RATE_RE = re.compile(RATE)

_CN_DATE = r"[〇零○一二三四五六七八九]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月\s*[一二三四五六七八九十]{1,3}\s*日"
DATE = rf"(?:\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]|\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|{_CN_DATE})"
DATE_RE = re.compile(DATE)
RANGE_RE = re.compile(
    rf"(?P<a>{DATE})\s*(?:起|开始)?\s*[,，]?\s*(?:至|到|止至|起至|—+|~|－)\s*(?P<b>{DATE})"
)

_HEADING_RE = re.compile(
    r"^[ \t]*(?:第[一二三四五六七八九十百\d]+[条章]|[一二三四五六七八九十]+、|\d{1,2}\s*[.、](?!\d)|\([一二三四五六七八九十]+\))[^\n]*",
    re.M,
)

_ID_LABEL = r"(?:证件类型及号码|公民身份号码|身份证号码|身份证号|身份证|证件号码|证件号|统一社会信用代码|社会信用代码|营业执照号码?)"
_ID_RE = re.compile(
    rf"{_ID_LABEL}\s*(?:\([^)\n]{{0,10}}\))?\s*[:]?\s*(?:居民身份证|身份证)?\s*(?P<id>\d{{17}}[\dX]|[0-9A-HJ-NPQRTUWXY]{{2}}\d{{6}}[0-9A-HJ-NPQRTUWXY]{{10}})"
)


def normalize(text: str) -> str:
    """The same-length copy of ``text`` the patterns run on."""
    return text.translate(_NORMALIZE)


_NUMBERED_RE = re.compile(
    r"(?:第[一二三四五六七八九十百\d]+[条章]|[一二三四五六七八九十]+、|\d{1,2}\s*[.、](?!\d)|[(（]|附件)"
)
_LABEL_RE = re.compile(r"(?!大写|小写)[^\s,，。;；:\d元]{2,14}:|签订|日期")
_HARD_END = "。;；:!?！？"


class _Doc:
    """The text as the patterns see it, and its clause spans.

    ``norm`` is the text with full-width characters replaced by their ASCII forms and with the
    line breaks that only wrap a sentence (PDF text layers and OCR keep one line per printed
    line) removed together with the spaces around them. ``joined`` is the same without the
    character replacement. ``span()`` turns offsets in ``norm`` into offsets in ``text``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        norm0 = normalize(text)
        drop = self._wrapped_breaks(norm0)
        if drop:
            keep = [i for i in range(len(text)) if i not in drop]
            self.norm = "".join(norm0[i] for i in keep)
            self.joined = "".join(text[i] for i in keep)
            self.index = [*keep, len(text)]
        else:
            self.norm = norm0
            self.joined = text
            self.index = []
        self.sentences: list[tuple[int, int]] = list(self._split())

    @staticmethod
    def _wrapped_breaks(norm0: str) -> set[int]:
        """Positions of line breaks (and the blanks around them) inside a sentence."""
        drop: set[int] = set()
        lines = norm0.split("\n")
        pos = 0
        for i in range(len(lines) - 1):
            before, after = lines[i], lines[i + 1]
            nl = pos + len(before)
            pos = nl + 1
            b, a = before.rstrip(), after.lstrip()
            if not a or not b.strip() or b[-1] in _HARD_END or _NUMBERED_RE.match(a):
                continue
            code_like = b[-1].isascii() and a[0].isascii()
            cut_code = (
                code_like
                and (b[-1].isdigit() or b[-1].isupper())
                and (a[0].isdigit() or a[0].isupper())
            )
            # Unless a number or code is cut in two, keep short lines (titles, labels), lines
            # followed by a "label:" line and breaks between Latin words.
            if not cut_code and (
                len(b.strip()) < 12 or _LABEL_RE.match(a) or (code_like and b[-1].isalpha())
            ):
                continue
            drop.update(range(nl - (len(before) - len(b)), nl + 1 + (len(after) - len(a))))
        return drop

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in ``norm`` → offsets in ``text``."""
        if not self.index:
            return start, end
        if end <= start:
            return self.index[start], self.index[start]
        return self.index[start], self.index[end - 1] + 1

    def _split(self) -> Iterator[tuple[int, int]]:
        start = 0
        for m in re.finditer(r"[。;；\n]", self.norm):
            yield from self._trim(start, m.start())
            start = m.end()
        yield from self._trim(start, len(self.norm))

    def _trim(self, a: int, b: int) -> Iterator[tuple[int, int]]:
        s = self.norm[a:b]
        left = len(s) - len(s.lstrip())
        right = len(s.rstrip())
        if right > left:
            yield (a + left, a + right)

    def fv(self, value: Any, start: int, end: int, confidence: float) -> FieldValue:
        """A field found at ``norm[start:end]``."""
        s, e = self.span(start, end)
        return FieldValue(value, s, e, confidence, self.text[s:e])


def _is_heading(sentence: str) -> bool:
    """A section title on its own line ("九、到期续租", "第八条 续租")."""
    return (
        len(sentence) <= 24
        and not re.search(r"[,，:]", sentence)
        and bool(_HEADING_RE.match(sentence))
    )


def _months(value: Decimal) -> Decimal:
    """A month count as a Decimal: whole numbers without decimals, else two places."""
    q = value.quantize(Decimal("0.01"))
    return Decimal(int(q)) if q == q.to_integral_value() else q


def _party_of(fragment: str) -> str | None:
    m = _PARTY_RE.search(fragment)
    if not m:
        return None
    return "lessor" if m.group("lessor") else "lessee" if m.group("lessee") else "shared"


def parse_date(s: str) -> dt.date:
    """Parse 2025年3月1日, 2025-03-01, 2025/3/1, 二〇二五年三月一日 (ValueError if invalid)."""
    s = re.sub(r"\s+", "", normalize(s))
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]", s) or re.fullmatch(
        r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", s
    )
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\S{4})年(\S{1,3})月(\S{1,3})日", s)
    if m:
        return dt.date(
            numbers.parse_chinese_int(m.group(1)),
            numbers.parse_chinese_int(m.group(2)),
            numbers.parse_chinese_int(m.group(3)),
        )
    raise ValueError(f"not a date: {s!r}")


def _amount(doc: _Doc, m: re.Match[str], group: int | str = 0) -> tuple[Decimal, int, int] | None:
    s, e = m.span(group)
    try:
        return numbers.parse_amount(doc.norm[s:e]), s, e
    except ValueError:
        return None


_FILL = r"(?:为|是|:|计|共计|合计|人民币|金额为?|数额为?|标准为?|小写|,|，|\s)*"


class _Extractor:
    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.fields: dict[str, FieldValue] = {}

    def put(self, name: str, value: Any, start: int, end: int, confidence: float) -> None:
        """Record a field found at ``norm[start:end]`` (the first one found wins)."""
        if name not in self.fields:
            self.fields[name] = self.doc.fv(value, start, end, confidence)

    def derive(self, name: str, value: Any, source: FieldValue, confidence: float) -> None:
        """Record a field computed from another one, with that one's evidence."""
        if name not in self.fields:
            self.fields[name] = FieldValue(
                value, source.start, source.end, confidence, source.evidence
            )

    def run(self) -> dict[str, FieldValue]:
        self.parties()
        self.address()
        self.dates()
        self.rent()
        self.payment_cycle()
        self.deposit()
        self.rent_free_and_due()
        self.late_fee()
        self.penalty()
        self.fee_parties()
        self.clauses()
        return {k: self.fields[k] for k in FIELD_NAMES if k in self.fields}

    # -- parties ---------------------------------------------------------------------------
    def parties(self) -> None:
        norm = self.doc.norm
        heads: dict[str, re.Match[str]] = {}
        for role, words in (("lessor", LESSOR_WORDS), ("lessee", LESSEE_WORDS)):
            pat = re.compile(
                rf"^[ \t]*(?:{words})[ \t]*(?:\([^)\n]{{1,8}}\))?[ \t]*:[ \t]*"
                r"(?P<name>[^\s,，。;；(:]{2,40})",
                re.M,
            )
            m = pat.search(norm)
            if m and not re.fullmatch(r"[_＿\-—.·]+", m.group("name")):
                heads[role] = m
                self.put(
                    role, self.doc.joined[m.start("name") : m.end("name")], *m.span("name"), 0.9
                )
        for role, m in heads.items():
            other = heads.get("lessee" if role == "lessor" else "lessor")
            end = other.start() if other and other.start() > m.start() else len(norm)
            nxt = _HEADING_RE.search(norm, m.end())
            if nxt and nxt.start() < end:
                end = nxt.start()
            end = min(end, m.end() + 400)
            idm = _ID_RE.search(norm, m.start(), end)
            if idm:
                value = idm.group("id")
                conf = 0.95 if _id_checksum_ok(value) else 0.6
                self.put(f"{role}_id", value, *idm.span("id"), conf)

    # -- premises and term -----------------------------------------------------------------
    def address(self) -> None:
        for pat, conf in (
            (
                r"(?:坐落于|坐落在|坐落|房屋地址|房屋位于|租赁房屋位于|出租房屋位于|房屋座落于|座落于)\s*:?\s*",
                0.9,
            ),
            (r"位于\s*:?\s*", 0.6),
        ):
            m = re.search(pat + r"(?P<v>[^,，。;；\n(]{4,80})", self.doc.norm)
            if m:
                s, e = m.span("v")
                # "…8号的住房一套出租给乙方" → "…8号"
                cut = re.search(
                    r"(?:的)?(?:住房|房屋|住宅|房子|一套|出租给|租给)", self.doc.norm[s:e]
                )
                if cut and cut.start() >= 4:
                    e = s + cut.start()
                self.put("address", self.doc.joined[s:e].strip(), s, e, conf)
                return

    def dates(self) -> None:
        norm = self.doc.norm
        chosen = None
        for m in RANGE_RE.finditer(norm):
            before = norm[max(0, m.start() - 40) : m.start()]
            if re.search(r"租赁期|租期|期限|起租|自$|自\s*$|租赁", before):
                chosen = m
                break
            if chosen is None:
                chosen = m
        if chosen:
            for name, g in (("start_date", "a"), ("end_date", "b")):
                s, e = chosen.span(g)
                try:
                    self.put(name, parse_date(norm[s:e]), s, e, 0.9)
                except ValueError:
                    continue
        term = re.compile(
            rf"(?:租赁期限|租赁期|租期|合同期限|期限)(?:为|共|共计|计|:|\s)*"
            rf"(?P<n>\d{{1,3}}|[{CN_NUM}]{{1,4}})\s*(?P<u>个月|个整月|年|周年)(?![\d{CN_NUM}]+\s*月)"
        )
        tm = term.search(norm)
        if tm is None and chosen is not None:
            # "自…起至…止，共计二十四个月"
            tm = re.compile(
                rf"[,，]?\s*(?:共计|共|计|为期|期限为)\s*(?P<n>\d{{1,3}}|[{CN_NUM}]{{1,4}})\s*(?P<u>个月|个整月|年|周年)"
            ).match(
                norm, chosen.end() + (1 if norm[chosen.end() : chosen.end() + 1] == "止" else 0)
            )
        if tm:
            try:
                n = numbers.parse_count(tm.group("n"))
            except ValueError:
                return
            months = n if "月" in tm.group("u") else n * 12
            self.put("term_months", months, tm.start(), tm.end(), 0.85)

    # -- money -----------------------------------------------------------------------------
    def rent(self) -> None:
        norm = self.doc.norm
        pat = re.compile(
            r"(?:月租金|每月租金|每月房租|月租|每月(?:应)?(?:支付|缴纳|交纳|交付)(?:的)?(?:租金|房租)|(?:租金|房租)(?:标准)?(?:为|:)?\s*(?:每月|每个月|按月计?))"
            + _FILL
            + rf"(?P<a>{AMOUNT})"
        )
        m = pat.search(norm)
        if m and (got := _amount(self.doc, m, "a")):
            self.put("monthly_rent", got[0], got[1], got[2], 0.9)
            return
        m = re.search(
            rf"(?:租金|房租)[^。;\n]{{0,12}}?(?P<a>{AMOUNT})\s*(?:/月|/每月|每月|一个月)", norm
        )
        if m and (got := _amount(self.doc, m, "a")):
            self.put("monthly_rent", got[0], got[1], got[2], 0.8)
            return
        m = re.search(r"年租金" + _FILL + rf"(?P<a>{AMOUNT})", norm)
        if m and (got := _amount(self.doc, m, "a")):
            self.put("monthly_rent", (got[0] / 12).quantize(Decimal("0.01")), got[1], got[2], 0.6)

    def payment_cycle(self) -> None:
        norm = self.doc.norm
        m = re.search(rf"押\s*(?P<d>{NUM})\s*付\s*(?P<p>{NUM})", norm)
        if m:
            try:
                self.put(
                    "deposit_months", Decimal(numbers.parse_count(m.group("d"))), *m.span(), 0.9
                )
                self.put("pay_months", numbers.parse_count(m.group("p")), *m.span(), 0.9)
                return
            except ValueError:
                pass
        candidates: list[tuple[re.Pattern[str], int | None]] = [
            (
                re.compile(
                    rf"(?:每|按每)\s*(?P<n>{NUM})\s*个月(?:为一期|一期|一付|支付一次|付一次|缴纳一次|交一次|支付|缴纳|交付|付款)"
                ),
                None,
            ),
            (
                re.compile(
                    rf"(?:每期|首期|一次性)(?:支付|缴纳|交付|付)\s*(?P<n>{NUM})\s*个月(?:的)?(?:租金|房租)"
                ),
                None,
            ),
            (re.compile(r"(?:按|每)季度?(?:支付|缴纳|交付|付)|季付|每三个月"), 3),
            (re.compile(r"(?:按|每)半年(?:支付|缴纳|交付|付)|半年付"), 6),
            (
                re.compile(
                    r"(?:按|每)年(?:支付|缴纳|交付|付)|年付|一次性(?:支付|付清|缴纳)(?:全年|全部)"
                ),
                12,
            ),
            (re.compile(r"(?:按|每)月(?:支付|缴纳|交付|付)|月付"), 1),
        ]
        for pat, fixed in candidates:
            m = pat.search(norm)
            if m:
                try:
                    n = fixed if fixed is not None else numbers.parse_count(m.group("n"))
                except ValueError:
                    continue
                self.put("pay_months", n, *m.span(), 0.8)
                return

    def deposit(self) -> None:
        norm = self.doc.norm
        rent = self.value("monthly_rent")
        kw = r"(?:租赁保证金|履约保证金|房屋押金|押金|保证金)"
        m = re.search(
            kw + r"(?:为|是|相当于|:|\s)*(?P<n>" + NUM + r")\s*个月(?:的)?(?:租金|房租|月租)", norm
        )
        m2 = re.search(kw + _FILL + rf"(?P<a>{AMOUNT})", norm)
        if m2 and (got := _amount(self.doc, m2, "a")):
            self.put("deposit", got[0], got[1], got[2], 0.9)
        if m:
            try:
                n = numbers.parse_count(m.group("n"))
            except ValueError:
                n = None
            if n is not None:
                self.put("deposit_months", Decimal(n), *m.span(), 0.85)
                if rent is not None:
                    self.put("deposit", (rent * n).quantize(Decimal("0.01")), *m.span(), 0.8)
        dep = self.fields.get("deposit")
        if rent and "deposit_months" not in self.fields and dep is not None:
            months = _months(dep.value / rent)
            self.derive("deposit_months", months, dep, 0.8)
        if "deposit" not in self.fields and rent is not None and "deposit_months" in self.fields:
            fv = self.fields["deposit_months"]
            self.derive("deposit", (rent * fv.value).quantize(Decimal("0.01")), fv, 0.7)

    def rent_free_and_due(self) -> None:
        norm = self.doc.norm
        m = re.search(
            rf"免租期(?:为|共|计|:|\s)*(?P<n>{NUM})\s*(?P<u>天|日|个月)|(?P<n2>{NUM})\s*(?P<u2>天|日)(?:的)?免租期|免收(?P<n3>{NUM})\s*(?P<u3>天|日)(?:的)?租金",
            norm,
        )
        if m:
            n_s = m.group("n") or m.group("n2") or m.group("n3")
            u = m.group("u") or m.group("u2") or m.group("u3")
            try:
                n = numbers.parse_count(n_s)
                self.put("rent_free_days", n * 30 if u == "个月" else n, *m.span(), 0.85)
            except ValueError:
                pass
        for a, b in self.doc.sentences:
            sent = norm[a:b]
            if not re.search(r"租金|房租|付款|支付", sent):
                continue
            m = re.search(
                r"每(?:个)?(?:月|期|季度?)(?:的)?(?:首月|第一个月)?(?:第)?\s*(?P<n>\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:日|号)",
                sent,
            )
            if m:
                try:
                    n = numbers.parse_count(m.group("n"))
                except ValueError:
                    continue
                if 1 <= n <= 31:
                    self.put("due_day", n, a + m.start(), a + m.end(), 0.85)
                    return

    def late_fee(self) -> None:
        norm = self.doc.norm
        rent = self.value("monthly_rent")
        daily = re.compile(
            r"每(?:逾期|迟延|延迟|延期|拖欠|超期|晚|迟)?(?:一)?(?:日|天)|按日|日息|每日|每天"
        )
        for a, b in self.doc.sentences:
            sent = norm[a:b]
            if not re.search(r"逾期|迟延|延迟|拖欠|滞纳|延期|未按", sent):
                continue
            d = daily.search(sent)
            if not d:
                continue
            r = RATE_RE.search(sent)
            if r:
                try:
                    self.put(
                        "late_fee_daily_rate",
                        numbers.parse_rate(r.group()),
                        a + r.start(),
                        a + r.end(),
                        0.85,
                    )
                    return
                except ValueError:
                    pass
            am = AMOUNT_RE.search(sent, d.end())
            if am and rent:
                try:
                    amount = numbers.parse_amount(am.group())
                except ValueError:
                    continue
                rate = (amount / rent).quantize(Decimal("0.000001"))
                self.put("late_fee_daily_rate", rate, a + am.start(), a + am.end(), 0.6)
                return

    def penalty(self) -> None:
        norm = self.doc.norm
        rent = self.value("monthly_rent")
        best: tuple[Decimal, int, int, float] | None = None
        daily = re.compile(r"每(?:逾期|迟延|延迟|延期|拖欠|晚|迟)?(?:一)?(?:日|天)|按日|每日|每天")
        for a, b in self.doc.sentences:
            sent = norm[a:b]
            if "违约金" not in sent or daily.search(sent):
                continue
            cands: list[tuple[Decimal, int, int, float]] = []
            for m in re.finditer(rf"(?P<n>{NUM})\s*个月(?:的)?(?:租金|房租|月租金)", sent):
                if rent is None:
                    continue
                try:
                    n = numbers.parse_count(m.group("n"))
                except ValueError:
                    continue
                cands.append(
                    ((rent * n).quantize(Decimal("0.01")), a + m.start(), a + m.end(), 0.8)
                )
            for m in re.finditer(
                rf"(?P<base>年租金|月租金|月租|房租|租金)(?:总额)?的\s*(?P<r>{RATE})", sent
            ):
                if rent is None:
                    continue
                try:
                    share = numbers.parse_rate(m.group("r"))
                except ValueError:
                    continue
                base = rent * 12 if m.group("base") == "年租金" else rent
                cands.append(
                    ((base * share).quantize(Decimal("0.01")), a + m.start(), a + m.end(), 0.8)
                )
            for m in AMOUNT_RE.finditer(sent):
                # Amounts near 违约金 (not deposits or rent restated in the same clause).
                near = sent[max(0, m.start() - 12) : m.end() + 8]
                if "违约金" not in near or re.search(
                    r"(押金|保证金|租金)" + _FILL + "$", sent[: m.start()]
                ):
                    continue
                try:
                    cands.append(
                        (numbers.parse_amount(m.group()), a + m.start(), a + m.end(), 0.85)
                    )
                except ValueError:
                    continue
            for c in cands:
                if best is None or c[0] > best[0]:
                    best = c
        if best:
            self.put("penalty_amount", best[0], best[1], best[2], best[3])

    # -- who pays --------------------------------------------------------------------------
    def fee_parties(self) -> None:
        for name, kw in (
            ("property_fee_party", r"物业费|物业管理费|物业服务费|管理费"),
            ("utilities_party", r"水电|水费|电费|燃气|煤气|天然气|水、电|水,电"),
        ):
            got = self._fee_party(kw)
            if got:
                self.put(name, got[0], got[1], got[2], 0.85)

    def _fee_party(self, kw: str) -> tuple[str, int, int] | None:
        norm = self.doc.norm
        sents = self.doc.sentences
        for i, (a, b) in enumerate(sents):
            sent = norm[a:b]
            k = re.search(kw, sent)
            if not k:
                continue
            # The comma-delimited part naming the fee first, then the whole clause.
            cs = max(sent.rfind(",", 0, k.start()), sent.rfind("，", 0, k.start())) + 1
            ce = min(
                [x for x in (sent.find(",", k.end()), sent.find("，", k.end())) if x >= 0]
                or [len(sent)]
            )
            # "物业费：甲方" (a table or a list of who pays what)
            m = re.match(
                rf"[^,，]{{0,6}}?[:—\-]+\s*(?P<p>{LESSOR_WORDS}|{LESSEE_WORDS}|双方)",
                sent[k.end() :],
            )
            if m:
                return (_party_of(m.group("p")) or "shared", a, b)
            for part in (sent[cs:ce], sent):
                party = self._payer(part)
                if party:
                    return (party, a, b)
            # A list item under "下列费用由乙方承担:" on its own line.
            for j in range(i - 1, max(-1, i - 6), -1):
                pa, pb = sents[j]
                prev = norm[pa:pb]
                if prev.endswith(":") and re.search(r"费用", prev):
                    p = re.search(
                        rf"由\s*(?P<p>{LESSOR_WORDS}|{LESSEE_WORDS})|(?P<q>{LESSOR_WORDS}|{LESSEE_WORDS})(?:负责|承担|支付|缴纳)",
                        prev,
                    )
                    if p:
                        return (_party_of(p.group(0)) or "shared", a, b)
                    break
        return None

    @staticmethod
    def _payer(part: str) -> str | None:
        if re.search(
            r"(?:租金|房租)(?:中)?(?:已)?(?:包含|包括|含)|已?(?:计入|包含在|含在)(?:月)?租金", part
        ):
            return "lessor"
        m = re.search(rf"由\s*(?P<p>{LESSOR_WORDS}|{LESSEE_WORDS}|双方)", part)
        if m:
            return _party_of(m.group("p")) or "shared"
        m = re.search(
            rf"(?P<p>{LESSOR_WORDS}|{LESSEE_WORDS})(?:自行|自己)?(?:负责|承担|支付|缴纳|缴付|交纳|自理|自付|交)",
            part,
        )
        if m:
            return _party_of(m.group("p")) or "shared"
        return None

    # -- clauses ---------------------------------------------------------------------------
    def clauses(self) -> None:
        norm = self.doc.norm
        specs: list[tuple[str, str, str | None]] = [
            ("renewal_terms", r"续租|续约|续签|续期|自动延续|自动顺延|自动延长|自动延期", None),
            ("sublet_terms", r"转租|分租|群租|合租|转借", None),
            (
                "repair_responsibility",
                r"维修|修缮|修理|保修",
                rf"(?:{LESSOR_WORDS}|{LESSEE_WORDS}|双方)[^。;\n]{{0,30}}(?:负责|承担)|(?:负责|承担)[^。;\n]{{0,6}}(?:{LESSOR_WORDS}|{LESSEE_WORDS})|由(?:{LESSOR_WORDS}|{LESSEE_WORDS})|(?:{LESSOR_WORDS}|{LESSEE_WORDS})应[^。;\n]{{0,20}}(?:维修|修缮|修理)",
            ),
            ("dispute_resolution", r"争议|纠纷|争执", r"仲裁|诉讼|法院|起诉"),
            ("deposit_return_terms", r"押金|保证金", r"退还|返还|退回|归还|退给"),
            (
                "deposit_deduction_terms",
                r"押金|保证金",
                r"扣除|抵扣|扣减|抵减|冲抵|抵充|抵作|抵偿|扣留",
            ),
        ]
        sents = self.doc.sentences
        for name, kw, extra in specs:
            for i, (a, b) in enumerate(sents):
                sent = norm[a:b]
                if not re.search(kw, sent) or _is_heading(sent):
                    continue
                if extra is None or re.search(extra, sent):
                    self.put(name, self.doc.joined[a:b], a, b, 0.8)
                    break
                # "争议协商解决；协商不成的，提交仲裁": the second half continues the clause.
                if i + 1 < len(sents) and norm[b : sents[i + 1][0]].strip() in (";", "；"):
                    nb = sents[i + 1][1]
                    if re.search(extra, norm[sents[i + 1][0] : nb]):
                        self.put(name, self.doc.joined[a:nb], a, nb, 0.75)
                        break

    def value(self, name: str) -> Any:
        fv = self.fields.get(name)
        return None if fv is None else fv.value


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _id_checksum_ok(value: str) -> bool:
    """Check digit of a resident ID number (GB 11643) or a USCC (GB 32100)."""
    if re.fullmatch(r"\d{17}[\dX]", value):
        total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
        if _ID_CHECK[total % 11] == value[17]:
            return True
    if all(c in _USCC_CHARS for c in value) and len(value) == 18:
        total = sum(
            _USCC_CHARS.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS, strict=True)
        )
        return _USCC_CHARS[(31 - total % 31) % 31] == value[17]
    return False


def id_check_digit(first17: str) -> str:
    """The check character of a resident ID number given its first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    """The check character of a unified social credit code given its first 17 characters."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def extract(text: str) -> Extraction:
    """Extract the key fields of a lease text (see :data:`FIELD_NAMES`)."""
    return extract_doc(_Doc(text))


def extract_doc(doc: _Doc) -> Extraction:
    return Extraction(text=doc.text, fields=_Extractor(doc).run())
