"""docs/access.md renders CAPABILITIES; the two must not drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from anzu.core.access import CAPABILITIES

DOC = Path(__file__).resolve().parents[3] / "docs" / "access.md"
ROLES = ["admin", "management", "finance", "legal", "customer_service", "frontline", "engineer"]


def test_access_doc_matches_capabilities():
    documented: dict[str, frozenset[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([a-z_.]+)`[^|]*\|(.*)\|\s*$", line)
        if not match:
            continue
        cells = [c.strip() for c in match.group(2).split("|")]
        assert len(cells) == len(ROLES), line
        documented[match.group(1)] = frozenset(
            r for r, c in zip(ROLES, cells, strict=True) if c == "✓"
        )
    assert documented == {k: frozenset(str(r) for r in v) for k, v in CAPABILITIES.items()}
