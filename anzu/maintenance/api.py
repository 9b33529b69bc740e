"""REST endpoints of the maintenance app, mounted at /api/v1 by anzu/api.py."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["Work orders"])
