"""Portfolio pages: the project → building tree, a building's unit grid and a unit's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from anzu.common import clock
from anzu.core import access
from anzu.core.views import fetch, staff_view
from anzu.leasing import selectors as leasing_selectors
from anzu.portfolio import access as portfolio_access
from anzu.portfolio import selectors
from anzu.portfolio.choices import UnitStatus


@staff_view("portfolio.view")
def tree(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portfolio/tree.html",
        {"projects": selectors.portfolio_tree(request.user), "statuses": UnitStatus.choices},
    )


@staff_view("portfolio.view")
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = fetch(portfolio_access.building_for_user, request.user, pk)
    floors = selectors.building_grid(request.user, building)
    return render(
        request,
        "portfolio/building.html",
        {
            "building": building,
            "floors": floors,
            "counts": selectors.grid_counts(floors),
            "statuses": UnitStatus.choices,
        },
    )


@staff_view("portfolio.view")
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = fetch(portfolio_access.unit_for_user, request.user, pk)
    user = request.user
    context = {
        "unit": unit,
        "equipment": selectors.unit_equipment(user, unit),
        "sees_amounts": access.sees_amounts(user),
        "can_view_leases": access.can(user, "lease.view"),
        "can_write_leases": access.can(user, "lease.write"),
    }
    if context["can_view_leases"]:
        context["leases"] = leasing_selectors.unit_leases(user, unit, today=clock.today())
    return render(request, "portfolio/unit.html", context)
