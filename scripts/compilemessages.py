#!/usr/bin/env python3
"""Compile every anzu/locale/ and app catalogue (anzu/**/locale/) (.po) into its .mo with polib.

Needs no gettext binaries. Fails (exit 1) when a catalogue cannot be parsed or, with
``--check``, when a zh_Hans entry is untranslated or fuzzy.

Usage: python scripts/compilemessages.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PACKAGE = Path(__file__).resolve().parent.parent / "anzu"
LOCALE = PACKAGE / "locale"
COMPLETE_LANGUAGES = {"zh_Hans"}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    problems: list[str] = []
    compiled = 0
    catalogues = [*LOCALE.glob("*/LC_MESSAGES/*.po"), *PACKAGE.glob("**/locale/*/LC_MESSAGES/*.po")]
    catalogues = sorted(set(catalogues))
    for po_path in sorted(catalogues):
        language = po_path.parent.parent.name
        catalogue = polib.pofile(str(po_path), wrapwidth=100)
        if check and language in COMPLETE_LANGUAGES:
            for entry in catalogue.untranslated_entries():
                problems.append(f"{po_path}: untranslated: {entry.msgid!r}")
            for entry in catalogue.fuzzy_entries():
                problems.append(f"{po_path}: fuzzy: {entry.msgid!r}")
        catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
        compiled += 1
        print(f"compiled {po_path.relative_to(LOCALE.parent.parent)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if compiled == 0:
        print(f"no .po files under {LOCALE}", file=sys.stderr)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
