"""Benchmark of the contract review: ``review()`` of the ten-page corpus lease, N times.

Reads ``anzu/contracts/tests/corpus/lease_long_10pages.txt`` (about 8,000 characters: a Shanghai
lease of 26 articles plus eight appendices — hand-over list, community rules, safety notes,
appliance notes, decoration rules, inspection form) and times the full review (extraction of
every field, all sixteen rules, a market rent so that every rule runs) ``--runs`` times after
``--warmup`` untimed runs.

Usage::

    .venv/bin/python bench/contract_review.py
    .venv/bin/python bench/contract_review.py --runs 200 --file some_lease.txt

Prints one JSON object with the median and p95 wall-clock milliseconds and the median CPU
milliseconds (the figure to compare on a busy machine). Target: p95 ≤ 200 ms.
No database, no Django settings: the review engine is plain Python.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anzu.contracts.review import review

DEFAULT_FILE = (
    Path(__file__).resolve().parent.parent
    / "anzu"
    / "contracts"
    / "tests"
    / "corpus"
    / "lease_long_10pages.txt"
)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--market-rent", default="9500")
    args = parser.parse_args()

    text = args.file.read_text(encoding="utf-8")
    market = Decimal(args.market_rent)
    for _ in range(args.warmup):
        review(text, market_rent=market)
    wall: list[float] = []
    cpu: list[float] = []
    result = None
    for _ in range(args.runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = review(text, market_rent=market)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    assert result is not None
    print(
        json.dumps(
            {
                "file": args.file.name,
                "characters": len(text),
                "fields": len(result.fields),
                "findings": len(result.findings),
                "runs": args.runs,
                "median_ms": round(statistics.median(wall), 2),
                "p95_ms": round(_p95(wall), 2),
                "median_cpu_ms": round(statistics.median(cpu), 2),
                "target_p95_ms": 200,
            }
        )
    )


if __name__ == "__main__":
    main()
