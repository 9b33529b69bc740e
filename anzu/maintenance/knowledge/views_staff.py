"""Staff pages under ``/kb/``: the article editor with deflection statistics (``kb.manage``) and
the QR sheets of buildings (``workorders.intake``; rotating the codes needs ``portfolio.write``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, staff_view
from anzu.maintenance.knowledge import access as kb_access
from anzu.maintenance.knowledge import markup, selectors, services
from anzu.maintenance.knowledge.forms import ArticleForm, PeriodForm, QrRotateForm
from anzu.maintenance.knowledge.presenters import present_article
from anzu.maintenance.knowledge.qrsheet import qr_sheet_pdf


def default_period() -> tuple[dt.date, dt.date]:
    today = clock.today()
    return today - dt.timedelta(days=29), today


@staff_view("kb.manage")
def index(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    org_id = access.org_id(user)
    start, end = default_period()
    period = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if request.GET and period.is_valid():
        start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    overrides = selectors.override_map(org_id)
    rows = [
        present_article(a, overridden_by=overrides.get(a.pk))
        for a in kb_access.articles_for_user(user)
    ]
    return render(
        request,
        "knowledge/kb_index.html",
        {
            "articles": rows,
            "period": period,
            "stats": selectors.deflection_stats(org_id, start, end),
        },
        status=422 if period.errors else 200,
    )


@staff_view("kb.manage")
def article_create(request: HttpRequest) -> HttpResponse:
    initial = {"category_code": request.GET.get("category", "")}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(data=form.service_data(), by=request.user)  # type: ignore[arg-type]
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Article saved."))
            return redirect("kb:article", pk=article.pk)
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": None},
        status=422 if form.errors else 200,
    )


@staff_view("kb.manage")
def article(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the organization's article; a built-in one is shown read-only with "customize"."""
    user: Any = request.user
    item = fetch(kb_access.article_for_user, user, pk)
    if item.is_builtin:
        overrides = selectors.override_map(access.org_id(user))
        return render(
            request,
            "knowledge/article_builtin.html",
            {
                "article": present_article(item, overridden_by=overrides.get(item.pk)),
                "html": markup.render(item.body),
            },
        )
    form = ArticleForm(
        request.POST or None,
        initial={
            "category_code": item.category_code,
            "title": item.title,
            "body": item.body,
            "safety_note": item.safety_note,
            "is_published": item.is_published,
            "position": item.position,
            "version": item.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.article_update(
                article=item,
                data=form.service_data(),
                version=form.cleaned_data.get("version"),
                by=user,
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Article saved."))
            return redirect("kb:article", pk=item.pk)
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": item, "html": markup.render(item.body)},
        status=(409 if "version" in form.errors else 422) if form.errors else 200,
    )


@require_POST
@staff_view("kb.manage")
def article_override(request: HttpRequest, pk: int) -> HttpResponse:
    item = fetch(kb_access.article_for_user, request.user, pk)
    try:
        copy = services.article_override(builtin=item, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, localized_message(err))
        return redirect("kb:article", pk=item.pk)
    return redirect("kb:article", pk=copy.pk)


@require_POST
@staff_view("kb.manage")
def article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = fetch(kb_access.own_article_for_user, request.user, pk)
    services.article_delete(article=item, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Article deleted."))
    return redirect("kb:index")


@staff_view("workorders.intake")
def qr_index(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    policy = selectors.qr_policy(access.org_id(user))
    return render(
        request,
        "knowledge/qr_index.html",
        {
            "buildings": kb_access.buildings_for_qr(user).order_by("project__code", "code", "id"),
            "policy": policy,
            "can_rotate": access.can(user, "portfolio.write"),
            "rotate_form": QrRotateForm(),
        },
    )


@staff_view("workorders.intake")
def qr_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    building = fetch(kb_access.building_for_qr, request.user, pk)
    return qr_sheet_response(request, building)


def qr_sheet_response(request: HttpRequest, building: Any) -> HttpResponse:
    def url_for(token: str) -> str:
        return request.build_absolute_uri(reverse("report:start", kwargs={"token": token}))

    pdf = qr_sheet_pdf(building, url_for=url_for)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"qr-{building.project.code}-{building.code}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@staff_view("portfolio.write")
def qr_rotate(request: HttpRequest) -> HttpResponse:
    form = QrRotateForm(request.POST)
    if form.is_valid():
        try:
            row = services.qr_rotate(
                max_age_days=form.cleaned_data.get("max_age_days"),
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as err:
            messages.error(request, localized_message(err))
        else:
            messages.success(
                request,
                _("New QR codes (version %(version)s) are in force; print the sheets again.")
                % {"version": row.version},
            )
    else:
        messages.error(request, _("Enter a number of days between 1 and 3650, or leave it blank."))
    return redirect("kb:qr_index")
