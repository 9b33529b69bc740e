"""REST endpoints of the self-help knowledge base and the unit QR codes.

The lead mounts ``router`` at ``/api/v1``. Handlers are thin: objects come from
:mod:`~anzu.maintenance.knowledge.access`, writes go through
:mod:`~anzu.maintenance.knowledge.services`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import ValidationFailed
from anzu.core import access
from anzu.maintenance.knowledge import access as kb_access
from anzu.maintenance.knowledge import selectors, services
from anzu.maintenance.knowledge.presenters import present_article, present_qr_version
from anzu.maintenance.knowledge.qrsheet import qr_sheet_pdf
from anzu.maintenance.knowledge.schemas import (
    ArticleFilters,
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    DeflectionOut,
    DeflectionQuery,
    QrRotateIn,
    QrVersionOut,
)

router = Router(tags=["Self-help and QR intake"])


@router.get("/buildings/{int:building_id}/qr-sheet.pdf", response={**ERRORS})
def qr_sheet(request: HttpRequest, building_id: int) -> Any:
    """The building's printable A4 sheet: one QR code per unit with "扫码报修"."""
    building = kb_access.building_for_qr(caller(request), building_id)

    def url_for(token: str) -> str:
        return request.build_absolute_uri(reverse("report:start", kwargs={"token": token}))

    response = HttpResponse(qr_sheet_pdf(building, url_for=url_for), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="qr-{building.project.code}-{building.code}.pdf"'
    )
    return response


@router.post("/kb/qr/rotate", response={201: QrVersionOut, **ERRORS})
def qr_rotate(request: HttpRequest, payload: QrRotateIn) -> Any:
    row = services.qr_rotate(max_age_days=payload.max_age_days, by=caller(request))
    return Status(201, present_qr_version(row))


@router.get("/kb/articles", response={200: PageOut[ArticleOut], **ERRORS})
def article_list(
    request: HttpRequest, filters: Query[ArticleFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = kb_access.articles_for_user(user)
    if filters.category_code:
        qs = qs.filter(category_code=filters.category_code)
    overrides = selectors.override_map(access.org_id(user))
    return page_of(
        qs, params=paging, present=lambda a: present_article(a, overridden_by=overrides.get(a.pk))
    )


@router.post("/kb/articles", response={201: ArticleOut, **ERRORS})
def article_create(request: HttpRequest, payload: ArticleIn) -> Any:
    article = services.article_create(data=payload.model_dump(), by=caller(request))
    return Status(201, present_article(article))


@router.get("/kb/articles/{int:article_id}", response={200: ArticleOut, **ERRORS})
def article_detail(request: HttpRequest, article_id: int) -> Any:
    user = caller(request)
    article = kb_access.article_for_user(user, article_id)
    overrides = selectors.override_map(access.org_id(user))
    return present_article(article, overridden_by=overrides.get(article.pk))


@router.patch("/kb/articles/{int:article_id}", response={200: ArticleOut, **ERRORS})
def article_update(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Any:
    user = caller(request)
    article = kb_access.article_for_user(user, article_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    article = services.article_update(article=article, data=data, version=version, by=user)
    return present_article(article)


@router.post("/kb/articles/{int:article_id}/override", response={201: ArticleOut, **ERRORS})
def article_override(request: HttpRequest, article_id: int) -> Any:
    user = caller(request)
    article = services.article_override(
        builtin=kb_access.article_for_user(user, article_id), by=user
    )
    return Status(201, present_article(article))


@router.delete("/kb/articles/{int:article_id}", response={204: None, **ERRORS})
def article_delete(request: HttpRequest, article_id: int) -> Any:
    user = caller(request)
    services.article_delete(article=kb_access.article_for_user(user, article_id), by=user)
    return Status(204, None)


@router.get("/kb/deflection", response={200: DeflectionOut, **ERRORS})
def deflection(request: HttpRequest, query: Query[DeflectionQuery]) -> Any:
    """Self-help deflection per category for business dates ``start``..``end`` (inclusive)."""
    user = caller(request)
    access.require(user, "kb.manage")
    if query.end < query.start:
        raise ValidationFailed("invalid", "The end date is before the start date.", field="end")
    return selectors.deflection_stats(access.org_id(user), query.start, query.end)
