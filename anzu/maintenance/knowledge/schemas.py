"""Request and response bodies of the knowledge API."""

from __future__ import annotations

import datetime as dt

from ninja import Schema

from anzu.common.api import InputSchema, OutputSchema


class ArticleOut(OutputSchema):
    id: int
    builtin: bool
    builtin_key: str
    overrides: int | None
    overridden_by: int | None
    category_code: str
    category: str
    title: str
    body: str
    safety_note: str
    is_published: bool
    position: int
    version: int
    updated_at: dt.datetime


class ArticleIn(InputSchema):
    category_code: str
    title: str
    body: str
    safety_note: str = ""
    is_published: bool = True
    position: int = 100


class ArticlePatch(InputSchema):
    version: int
    category_code: str | None = None
    title: str | None = None
    body: str | None = None
    safety_note: str | None = None
    is_published: bool | None = None
    position: int | None = None


class ArticleFilters(Schema):
    category_code: str | None = None


class QrRotateIn(InputSchema):
    max_age_days: int | None = None


class QrVersionOut(OutputSchema):
    version: int
    max_age_days: int | None
    rotated_at: dt.datetime


class DeflectionQuery(Schema):
    start: dt.date
    end: dt.date


class DeflectionRow(OutputSchema):
    category_code: str
    category: str
    shown: int
    solved: int
    escalated: int
    abandoned: int
    pending: int
    deflection_rate: float | None


class DeflectionTotal(OutputSchema):
    shown: int
    solved: int
    escalated: int
    abandoned: int
    pending: int
    deflection_rate: float | None


class DeflectionOut(OutputSchema):
    start: dt.date
    end: dt.date
    items: list[DeflectionRow]
    total: DeflectionTotal
