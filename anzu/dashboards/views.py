"""The collection KPI page (催收指标)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from anzu.common.errors import DomainError
from anzu.core.forms import localized_message
from anzu.core.views import staff_view
from anzu.dashboards import access as kpi_access
from anzu.dashboards import selectors
from anzu.dashboards.forms import CollectionFilterForm
from anzu.dashboards.presenters import bar_chart, present_collections


@staff_view("kpi.view")
def collections(request: HttpRequest) -> HttpResponse:
    user = request.user
    projects = list(
        kpi_access.projects_for_kpis(user).order_by("code", "id").values_list("id", "name")
    )
    form = CollectionFilterForm(request.GET or None, projects=projects)
    kpis = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        try:
            params = selectors.kpi_params(
                user,
                as_of=data.get("as_of"),
                start=data.get("start"),
                end=data.get("end"),
                project_id=data.get("project_id"),
            )
        except DomainError as err:
            form.add_error(err.field if err.field in form.fields else None, localized_message(err))
        else:
            kpis = present_collections(user, selectors.collection_kpis(user, params))
            if not form.is_bound:
                form = CollectionFilterForm(
                    initial={"as_of": params.as_of, "start": params.start, "end": params.end},
                    projects=projects,
                )
    context = {"form": form, "kpis": kpis}
    if kpis is not None:
        context["rate_chart"] = bar_chart(kpis["trend"], "overdue_rate")
        context["collected_chart"] = bar_chart(kpis["trend"], "collected")
    return render(
        request, "dashboards/collections.html", context, status=200 if kpis is not None else 422
    )
