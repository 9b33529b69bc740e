"""``anzu contracts review FILE [--market-rent YUAN_PER_MONTH] [--format json|text]``.

Reads a .txt contract (UTF-8, or GBK/GB18030 as written by older Windows tools), or a PDF or
image through :func:`anzu.contracts.reading.read_text`, reviews it and prints one JSON object
(``--format json``) or a readable report (``--format text``). Problems with the input are
printed on stderr and give exit status 2.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from anzu.contracts.review.rules import review, to_json
from anzu.contracts.review.types import ReviewResult

TEXT_SUFFIXES = {".txt"}
READER_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}
FORMATS = ("json", "text")

_FIELD_LABELS = {
    "lessor": "出租方 / lessor",
    "lessee": "承租方 / lessee",
    "lessor_id": "出租方证件号 / lessor ID",
    "lessee_id": "承租方证件号 / lessee ID",
    "address": "房屋地址 / address",
    "start_date": "起租日 / start",
    "end_date": "到期日 / end",
    "term_months": "租期（月） / term (months)",
    "monthly_rent": "月租金 / monthly rent",
    "deposit": "押金 / deposit",
    "deposit_months": "押金月数 / deposit (months)",
    "pay_months": "每期付款月数 / months per payment",
    "rent_free_days": "免租天数 / rent-free days",
    "due_day": "付款日 / due day",
    "late_fee_daily_rate": "逾期日费率 / daily late rate",
    "penalty_amount": "违约金 / penalty",
    "property_fee_party": "物业费承担方 / property fee paid by",
    "utilities_party": "水电燃气承担方 / utilities paid by",
    "renewal_terms": "续租条款 / renewal",
    "sublet_terms": "转租条款 / sublet",
    "repair_responsibility": "维修责任 / repairs",
    "dispute_resolution": "争议解决 / disputes",
    "deposit_return_terms": "押金退还 / deposit return",
    "deposit_deduction_terms": "押金扣除 / deposit deductions",
}


class InputError(Exception):
    """A problem with the file or the options; the message names it."""


def read_contract_text(path: str) -> str:
    """The text of a contract file; raises :class:`InputError` naming the problem."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if not p.is_file():
        raise InputError(f"{path}: not a file")
    suffix = p.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        raw = p.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                raise InputError(f"{path}: not UTF-8 or GBK text") from None
    elif suffix in READER_SUFFIXES:
        try:
            from anzu.contracts.reading import read_text
        except ImportError:
            raise InputError(
                f"{path}: reading {suffix} files needs the contract archive's reader "
                "(anzu.contracts.reading), which is not installed; convert the file to .txt"
            ) from None
        from anzu.common.errors import DomainError

        try:
            text = read_text(str(p))
        except DomainError as exc:
            raise InputError(f"{path}: {exc.message} ({exc.code})") from None
        except (ValueError, OSError) as exc:
            raise InputError(f"{path}: {exc}") from None
    else:
        raise InputError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; use .txt, .pdf, .jpg, .png or .tif"
        )
    if not text.strip():
        raise InputError(f"{path}: empty contract (no text)")
    return text


def parse_market_rent(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        rent = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise InputError(f"--market-rent: not an amount: {value!r}") from None
    if not rent.is_finite() or rent <= 0:
        raise InputError(f"--market-rent: must be a positive amount, got {value!r}")
    return rent


def format_text(result: ReviewResult, path: str) -> str:
    """A readable report of one review."""
    levels = {"high": "高 / high", "medium": "中 / medium", "low": "低 / low"}
    lines = [
        f"合同审查报告 / Contract review: {path}",
        f"风险等级 / Risk level: {levels[result.risk_level]}",
        "",
    ]
    lines.append("关键字段 / Key fields")
    data = to_json(result)["fields"]
    for name, label in _FIELD_LABELS.items():
        if name in data:
            value = str(data[name]["value"]).replace("\n", " ")
            if len(value) > 60:
                value = value[:57] + "..."
            lines.append(f"  {label}: {value}  [{data[name]['start']}-{data[name]['end']}]")
        else:
            lines.append(f"  {label}: —")
    lines.append("")
    lines.append(f"审查要点 / Findings ({len(result.findings)})")
    if not result.findings:
        lines.append("  无 / none")
    for i, f in enumerate(result.findings, start=1):
        lines.append(f"  {i}. [{f.severity}] {f.code}: {f.message}")
        lines.append(f"     依据 / basis: {f.basis}")
        if f.evidence:
            ev = f.evidence.replace("\n", " ")
            lines.append(f"     原文 / evidence [{f.start}-{f.end}]: {ev[:80]}")
    return "\n".join(lines)


def run(
    path: str,
    market_rent: str | None,
    fmt: str,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Review the contract at ``path`` and print the result; return the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        if fmt not in FORMATS:
            raise InputError(f"--format: must be json or text, got {fmt!r}")
        rent = parse_market_rent(market_rent)
        text = read_contract_text(path)
    except InputError as exc:
        err.write(f"error: {exc}\n")
        return 2
    result = review(text, market_rent=rent)
    if fmt == "json":
        out.write(json.dumps(to_json(result), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_text(result, path) + "\n")
    return 0
