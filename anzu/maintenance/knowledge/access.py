"""Fetching articles and buildings for a staff user: organization and capability enforced here.

Built-in articles are visible to every editor; another organization's article is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.maintenance.knowledge import selectors
from anzu.maintenance.knowledge.models import Article
from anzu.portfolio import access as portfolio_access
from anzu.portfolio.models import Building


def articles_for_user(user: Any) -> QuerySet[Article]:
    access.require(user, "kb.manage")
    return selectors.articles_for_editor(access.org_id(user))


def article_for_user(user: Any, pk: Any) -> Article:
    try:
        return articles_for_user(user).get(pk=int(pk))
    except (TypeError, ValueError, Article.DoesNotExist):
        raise NotFound("article") from None


def own_article_for_user(user: Any, pk: Any) -> Article:
    """An article of the caller's organization (built-in ones are not editable)."""
    article = article_for_user(user, pk)
    if article.organization_id is None:
        raise NotFound("article")
    return article


def building_for_qr(user: Any, pk: Any) -> Building:
    """A building in the caller's scope whose QR sheet they may print."""
    building = portfolio_access.building_for_user(user, pk)
    access.require(user, "workorders.intake")
    return building


def buildings_for_qr(user: Any) -> QuerySet[Building]:
    access.require(user, "workorders.intake")
    return portfolio_access.buildings_for_user(user).select_related("project")
