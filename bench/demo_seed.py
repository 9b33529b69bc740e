"""Benchmark: ``anzu demo seed`` on a fresh SQLite file.

    .venv/bin/python bench/demo_seed.py [--units 100000] [--months 24] [--runs 3]

Each run creates a temporary ANZU_HOME, migrates it (not timed), then times the seeding command
as a whole process (wall clock and CPU time; CPU time is what a busy machine does not
inflate) and counts the rows it created. Prints every run and the median.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = (
    "portfolio_project",
    "portfolio_building",
    "portfolio_unit",
    "portfolio_equipment",
    "leasing_customer",
    "leasing_lease",
    "core_user",
    "core_rolegrant",
    "core_staffscope",
    "core_counter",
    "core_auditevent",
)


def _env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["ANZU_HOME"] = home
    return env


def _anzu(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anzu.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(*, units: int, months: int, seed: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="anzu-bench-") as home:
        env = _env(home)
        _anzu("migrate", "--noinput", "-v", "0", env=env)
        cpu_before = _children_cpu()
        started = time.perf_counter()
        _anzu(
            "demo", "seed", "--units", str(units), "--months", str(months), "--seed", str(seed),
            env=env,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        with sqlite3.connect(Path(home) / "anzu.sqlite3") as db:
            rows = sum(
                db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES
            )
    return seconds, cpu, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    times = []
    for number in range(1, args.runs + 1):
        seconds, cpu, rows = run_once(units=args.units, months=args.months, seed=args.seed)
        times.append(seconds)
        print(
            f"run {number}: {seconds:.1f} s wall, {cpu:.1f} s CPU, {rows:,} rows "
            f"({rows / seconds:,.0f} rows/s)"
        )
    print(
        f"demo seed --units {args.units} --months {args.months}: "
        f"median {statistics.median(times):.1f} s over {len(times)} run(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
