"""REST endpoints of the security overview: the shadow-lease report and the dashboard figures."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router

from anzu.common.api import ERRORS, PageOut, PageParams, caller
from anzu.common.errors import ValidationFailed
from anzu.common.pagination import MAX_PAGE_SIZE
from anzu.core import access
from anzu.risk.security import filters, presenters, selectors, views
from anzu.risk.security.schemas import DashboardOut, PeriodFilters, ReportFilters, ShadowLeaseOut

router = Router(tags=["security"])


def _rows(request: HttpRequest, params: ReportFilters) -> list[dict[str, Any]]:
    user = caller(request)
    access.require(user, "audit.view")
    kwargs = filters.report_filters(params.model_dump())
    return [presenters.shadow_lease(r) for r in selectors.shadow_leases(user, **kwargs)]


@router.get("/security/shadow-leases", response={200: PageOut[ShadowLeaseOut], **ERRORS})
def shadow_leases(
    request: HttpRequest, params: Query[ReportFilters], paging: Query[PageParams]
) -> Any:
    page, size = paging.page, paging.page_size
    if page < 1:
        raise ValidationFailed("invalid", "Page numbers start at 1.", field="page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            "invalid", f"Page size must be between 1 and {MAX_PAGE_SIZE}.", field="page_size"
        )
    rows = _rows(request, params)
    offset = (page - 1) * size
    return {
        "items": rows[offset : offset + size],
        "page": page,
        "page_size": size,
        "total": len(rows),
    }


@router.get("/security/shadow-leases.csv", response={**ERRORS})
def shadow_leases_csv(request: HttpRequest, params: Query[ReportFilters]) -> Any:
    rows = _rows(request, params)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shadow-leases.csv"'
    response.write("\ufeff")
    with timezone.override(selectors.tz_of(caller(request).organization)):
        views.write_csv(response, rows)
    return response


@router.get("/security/dashboard", response={200: DashboardOut, **ERRORS})
def dashboard(request: HttpRequest, params: Query[PeriodFilters]) -> Any:
    user = caller(request)
    access.require(user, "audit.view")
    return selectors.dashboard(user, **filters.period_filters(params.model_dump()))
