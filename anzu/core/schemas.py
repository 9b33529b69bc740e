"""Request and response schemas of the account API (``/me`` and personal access tokens)."""

from __future__ import annotations

import datetime as dt

from anzu.common.api import InputSchema, OutputSchema


class OrganizationOut(OutputSchema):
    id: int
    name: str
    slug: str


class ScopeOut(OutputSchema):
    everything: bool
    project_ids: list[int]
    building_ids: list[int]


class MeOut(OutputSchema):
    id: int
    username: str
    display_name: str
    kind: str
    roles: list[str]
    organization: OrganizationOut | None
    scope: ScopeOut
    customer_id: int | None


class TokenIn(InputSchema):
    name: str
    expires_in_days: int | None = None


class TokenOut(OutputSchema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str
