"""The printable A4 sheet of a building's unit QR codes (segno PNGs in a WeasyPrint PDF)."""

from __future__ import annotations

from collections.abc import Callable

import segno

from anzu.common import clock
from anzu.documents.pdf import render_pdf
from anzu.maintenance.knowledge import selectors
from anzu.portfolio.models import Building

PER_PAGE = 12  # 3 columns × 4 rows on A4


def qr_png_data_uri(url: str) -> str:
    return str(segno.make(url, error="m").png_data_uri(scale=6, border=2))


def qr_sheet_pdf(building: Building, *, url_for: Callable[[str], str]) -> bytes:
    """One QR per unit of ``building``; ``url_for(token)`` is the absolute URL a code opens."""
    policy = selectors.qr_policy(building.organization_id)
    today = clock.today()
    cells = []
    for unit in selectors.qr_sheet_units(building):
        token = selectors.qr_token_for(unit, policy=policy, today=today)
        url = url_for(token)
        cells.append({"unit": unit, "qr": qr_png_data_uri(url), "url": url})
    pages = [cells[i : i + PER_PAGE] for i in range(0, len(cells), PER_PAGE)] or [[]]
    return render_pdf(
        template_name="knowledge/qr_sheet.html",
        context={
            "building": building,
            "project": building.project,
            "pages": pages,
            "version": policy.version,
            "issued_on": today,
        },
    )
