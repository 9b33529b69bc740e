"""Page-number pagination shared by the API and the UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass
class Page:
    items: list[Any]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate(qs: QuerySet[Any], *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    if page < 1:
        raise ValidationFailed("invalid", "Page numbers start at 1.", field="page")
    if page_size < 1 or page_size > MAX_PAGE_SIZE:
        raise ValidationFailed(
            "invalid", f"Page size must be between 1 and {MAX_PAGE_SIZE}.", field="page_size"
        )
    total = qs.count()
    offset = (page - 1) * page_size
    items = list(qs[offset : offset + page_size])
    return Page(items=items, page=page, page_size=page_size, total=total)
