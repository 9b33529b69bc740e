"""REST endpoints of the dashboards app, mounted at /api/v1 by anzu/api.py."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from anzu.common.api import ERRORS, caller
from anzu.dashboards import selectors
from anzu.dashboards.presenters import present_collections
from anzu.dashboards.schemas import CollectionFilters, CollectionKpisOut

router = Router(tags=["KPIs"])


@router.get("/kpis/collections", response={200: CollectionKpisOut, **ERRORS})
def collection_kpis(request: HttpRequest, filters: Query[CollectionFilters]) -> Any:
    """Collection KPIs as of a date (default today) for a period (default: the as-of month
    up to the as-of date), optionally for one project. Definitions: docs/kpis.md."""
    user = caller(request)
    params = selectors.kpi_params(
        user,
        as_of=filters.as_of,
        start=filters.start,
        end=filters.end,
        project_id=filters.project_id,
    )
    return present_collections(user, selectors.collection_kpis(user, params))
