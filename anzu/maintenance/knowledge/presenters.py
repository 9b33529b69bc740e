"""What a user may see of articles and QR key versions (no personal data or amounts)."""

from __future__ import annotations

from typing import Any

from anzu.maintenance.knowledge import categories, markup
from anzu.maintenance.knowledge.models import Article, QrKeyVersion


def present_article(article: Article, *, overridden_by: int | None = None) -> dict[str, Any]:
    return {
        "id": article.pk,
        "builtin": article.is_builtin,
        "builtin_key": article.builtin_key,
        "overrides": article.overrides_id,
        "overridden_by": overridden_by,
        "category_code": article.category_code,
        "category": categories.label(article.category_code),
        "title": article.title,
        "body": article.body,
        "safety_note": article.safety_note,
        "is_published": article.is_published,
        "position": article.position,
        "version": article.version,
        "updated_at": article.updated_at,
    }


def present_article_public(article: Article) -> dict[str, Any]:
    """An article as the reporting page shows it: rendered body, no bookkeeping."""
    return {
        "id": article.pk,
        "title": article.title,
        "html": markup.render(article.body),
        "safety_note": article.safety_note,
    }


def present_qr_version(row: QrKeyVersion) -> dict[str, Any]:
    return {
        "version": row.version,
        "max_age_days": row.max_age_days,
        "rotated_at": row.rotated_at,
    }
