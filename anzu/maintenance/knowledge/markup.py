"""Markdown-lite for article bodies: paragraphs, numbered steps and bullet lists, nothing else.

Every character of the source is HTML-escaped; only the ``<p>``, ``<ol>``, ``<ul>`` and ``<li>``
tags produced here reach the page.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_STEP = re.compile(r"^\s*(\d{1,3})[.、)]\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")


def render(source: str) -> SafeString:
    """The body as safe HTML: blank lines separate blocks; ``1.`` lines are steps."""
    blocks: list[str] = []
    kind = ""  # "p", "ol" or "ul": the block being built
    items: list[str] = []

    def flush() -> None:
        nonlocal kind, items
        if not items:
            kind = ""
            return
        if kind == "p":
            blocks.append("<p>" + "<br>".join(items) + "</p>")
        else:
            blocks.append(f"<{kind}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{kind}>")
        kind, items = "", []

    for raw in (source or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        step, bullet = _STEP.match(line), _BULLET.match(line)
        if step:
            if kind != "ol":
                flush()
                kind = "ol"
            items.append(escape(step.group(2)))
        elif bullet:
            if kind != "ul":
                flush()
                kind = "ul"
            items.append(escape(bullet.group(1)))
        else:
            if kind != "p":
                flush()
                kind = "p"
            items.append(escape(line))
    flush()
    return mark_safe("\n".join(blocks))
