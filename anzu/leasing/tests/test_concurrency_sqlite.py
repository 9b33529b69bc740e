"""On SQLite, concurrent writers are serialized by the write lock taken before the overlap check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

N = 12


def test_concurrent_overlapping_creates_on_sqlite_file(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "ANZU_HOME": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("sqlite_race.py")), str(N)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    winners = [r for r in results if r["ok"]]
    losers = [r for r in results if not r["ok"]]
    assert len(winners) == 1, results
    assert len(losers) == N - 1
    for loser in losers:
        # The winner's lease changed the unit: every other approval finds its request stale.
        assert loser["error"]["code"] == "stale_request", loser


pytestmark = pytest.mark.filterwarnings("ignore")
