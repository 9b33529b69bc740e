"""Per-code precision and recall of the contract review over the test corpus.

Usage: .venv/bin/python scripts/contracts_precision_recall.py [--corpus DIR] [--min 0.9] [--fields]

Reads ``DIR/expected.json`` (file name → expected codes, an optional ``market_rent`` and key
field values), reviews every listed text and prints, per rule code, true positives, false
positives, false negatives, precision and recall, then the overall figures. A code is counted
once per contract. With ``--fields`` it also checks the expected field values.

Exit status: 0 when every code's precision and recall reach ``--min`` (default 0.9) and, with
``--fields``, every expected field matches; 1 otherwise; 2 on a bad corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anzu.contracts.review import RULE_CODES, review, to_json

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "anzu" / "contracts" / "tests" / "corpus"


def _ratio(num: int, den: int) -> float:
    return 1.0 if den == 0 else num / den


def _same(expected: Any, got: Any) -> bool:
    if got is None:
        return False
    try:
        return Decimal(str(expected)) == Decimal(str(got))
    except ArithmeticError:
        return str(expected) == str(got)


def evaluate(corpus: Path) -> dict[str, Any]:
    """Review the corpus; return per-code counts, field mismatches and the files reviewed."""
    expected = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    counts = {code: {"tp": 0, "fp": 0, "fn": 0} for code in RULE_CODES}
    field_errors: list[str] = []
    per_file: dict[str, dict[str, list[str]]] = {}
    for name, entry in sorted(expected.items()):
        unknown = set(entry["codes"]) - set(RULE_CODES)
        if unknown:
            raise ValueError(f"{name}: unknown codes {sorted(unknown)}")
        text = (corpus / name).read_text(encoding="utf-8")
        result = review(text, market_rent=entry.get("market_rent"))
        got = {f.code for f in result.findings}
        want = set(entry["codes"])
        for code in got & want:
            counts[code]["tp"] += 1
        for code in got - want:
            counts[code]["fp"] += 1
        for code in want - got:
            counts[code]["fn"] += 1
        if got != want:
            per_file[name] = {"missed": sorted(want - got), "extra": sorted(got - want)}
        fields = to_json(result)["fields"]
        for key, value in entry.get("fields", {}).items():
            actual = fields.get(key, {}).get("value")
            if not _same(value, actual):
                field_errors.append(f"{name}: {key} expected {value!r}, got {actual!r}")
    return {
        "counts": counts,
        "field_errors": field_errors,
        "mismatches": per_file,
        "files": len(expected),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--min", type=float, default=0.9, dest="minimum")
    parser.add_argument("--fields", action="store_true", help="also check expected field values")
    args = parser.parse_args(argv)
    try:
        report = evaluate(args.corpus)
    except (OSError, ValueError, KeyError) as exc:
        print(f"bad corpus: {exc}", file=sys.stderr)
        return 2
    counts = report["counts"]
    print(f"{report['files']} contracts in {args.corpus}")
    print(f"{'code':32} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}")
    failed = False
    tot = {"tp": 0, "fp": 0, "fn": 0}
    for code in RULE_CODES:
        c = counts[code]
        p = _ratio(c["tp"], c["tp"] + c["fp"])
        r = _ratio(c["tp"], c["tp"] + c["fn"])
        for k in tot:
            tot[k] += c[k]
        mark = ""
        if p < args.minimum or r < args.minimum:
            failed = True
            mark = "  <"
        print(f"{code:32} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} {p:>10.3f} {r:>8.3f}{mark}")
    p = _ratio(tot["tp"], tot["tp"] + tot["fp"])
    r = _ratio(tot["tp"], tot["tp"] + tot["fn"])
    print(f"{'overall':32} {tot['tp']:>4} {tot['fp']:>4} {tot['fn']:>4} {p:>10.3f} {r:>8.3f}")
    for name, diff in sorted(report["mismatches"].items()):
        print(f"  {name}: missed {diff['missed']}, extra {diff['extra']}")
    if args.fields:
        for line in report["field_errors"]:
            print(f"  field: {line}")
        if report["field_errors"]:
            failed = True
        else:
            print("all expected field values match")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
