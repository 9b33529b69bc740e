"""REST endpoints about the caller: ``/me`` and personal access tokens (``/tokens``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.core import access, tokens
from anzu.core.models import ApiToken, User
from anzu.core.schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut

router = Router(tags=["account"])


def _require_token_owner(user: User) -> None:
    """Staff with the ``api.tokens`` capability and tenant portal users may hold tokens."""
    if not (access.can(user, "api.tokens") or access.is_tenant_user(user)):
        access.require(user, "api.tokens")


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> Any:
    user = caller(request)
    organization = user.organization
    if access.is_staff_user(user):
        scope = access.scope_of(user)
        scope_out = {
            "everything": scope.everything,
            "project_ids": sorted(scope.project_ids),
            "building_ids": sorted(scope.building_ids),
        }
    else:
        scope_out = {"everything": False, "project_ids": [], "building_ids": []}
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "kind": user.kind,
        "roles": sorted(user.role_set),
        "organization": (
            {"id": organization.pk, "name": organization.name, "slug": organization.slug}
            if organization is not None
            else None
        ),
        "scope": scope_out,
        "customer_id": user.customer_id,
    }


@router.get("/tokens", response={200: PageOut[TokenOut], **ERRORS})
def token_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    _require_token_owner(user)
    qs = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    return page_of(qs, params=paging)


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS})
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    user = caller(request)
    _require_token_owner(user)
    token, raw = tokens.token_create(
        user=user, name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{int:token_id}", response={200: TokenOut, **ERRORS})
def token_revoke(request: HttpRequest, token_id: int) -> Any:
    user = caller(request)
    return tokens.token_revoke(user=user, token_id=token_id)
