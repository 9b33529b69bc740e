"""REST endpoints for account administration (role admin): staff users, roles, scope, tenants."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from anzu.common.api import ERRORS, InputSchema, PageOut, PageParams, caller, page_of
from anzu.core import users as user_services
from anzu.core.models import User
from anzu.risk.approvals.schemas import ACCEPTED
from anzu.risk.approvals.web import accepted, is_request

router = Router(tags=["users"])


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    kind: str
    is_active: bool
    roles: list[str]
    scope_all: bool
    project_ids: list[int]
    building_ids: list[int]
    customer_id: int | None
    last_login: dt.datetime | None


class UserCreatedOut(UserOut):
    initial_password: str | None
    # The roles asked for wait for a second administrator (``core.role_grant``).
    role_request_id: int | None = None


class StaffUserIn(InputSchema):
    username: str
    display_name: str = ""
    email: str = ""
    password: str | None = None
    roles: list[str]
    scope_all: bool = False
    project_ids: list[int] = []
    building_ids: list[int] = []


class RolesIn(InputSchema):
    roles: list[str]


class ScopeIn(InputSchema):
    scope_all: bool
    project_ids: list[int] = []
    building_ids: list[int] = []


class TenantUserIn(InputSchema):
    customer_id: int
    username: str
    password: str | None = None


class UserFilters(Schema):
    kind: str | None = None
    role: str | None = None


def present_user(user: User) -> dict[str, Any]:
    scopes = list(user.scopes.all())
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "kind": user.kind,
        "is_active": user.is_active,
        "roles": sorted(g.role for g in user.role_grants.all()),
        "scope_all": user.scope_all,
        "project_ids": sorted(s.project_id for s in scopes if s.project_id),
        "building_ids": sorted(s.building_id for s in scopes if s.building_id),
        "customer_id": user.customer_id,
        "last_login": user.last_login,
    }


def _fresh(user_id: int) -> User:
    return User.objects.prefetch_related("role_grants", "scopes").get(pk=user_id)


@router.get("/users", response={200: PageOut[UserOut], **ERRORS})
def user_list(request: HttpRequest, filters: Query[UserFilters], paging: Query[PageParams]) -> Any:
    qs = user_services.users_for_user(caller(request)).prefetch_related("role_grants", "scopes")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.role:
        qs = qs.filter(role_grants__role=filters.role)
    return page_of(qs.order_by("username", "id"), params=paging, present=present_user)


@router.get("/users/{int:user_id}", response={200: UserOut, **ERRORS})
def user_detail(request: HttpRequest, user_id: int) -> Any:
    account = user_services.user_for_user(caller(request), user_id)
    return present_user(_fresh(account.pk))


@router.post("/users", response={201: UserCreatedOut, **ERRORS})
def user_create(request: HttpRequest, payload: StaffUserIn) -> Any:
    account, password = user_services.staff_user_create(
        by=caller(request), data=payload.model_dump()
    )
    role_request = account.__dict__.get("role_request")
    return Status(
        201,
        {
            **present_user(_fresh(account.pk)),
            "initial_password": password,
            "role_request_id": getattr(role_request, "pk", None),
        },
    )


@router.post("/users/tenants", response={201: UserCreatedOut, **ERRORS})
def tenant_create(request: HttpRequest, payload: TenantUserIn) -> Any:
    account, password = user_services.tenant_user_create(
        by=caller(request),
        customer_id=payload.customer_id,
        username=payload.username,
        password=payload.password,
    )
    return Status(201, {**present_user(_fresh(account.pk)), "initial_password": password})


@router.put("/users/{int:user_id}/roles", response={200: UserOut, **ACCEPTED, **ERRORS})
def user_roles(request: HttpRequest, user_id: int, payload: RolesIn) -> Any:
    """Guarded (``core.role_grant``): answers 202 with the approval request."""
    by = caller(request)
    account = user_services.user_for_user(by, user_id)
    result = user_services.user_set_roles(user=account, by=by, roles=payload.roles)
    if is_request(result):
        return accepted(by, result)
    return present_user(_fresh(account.pk))


@router.put("/users/{int:user_id}/scope", response={200: UserOut, **ERRORS})
def user_scope(request: HttpRequest, user_id: int, payload: ScopeIn) -> Any:
    by = caller(request)
    account = user_services.user_for_user(by, user_id)
    user_services.user_set_scope(
        user=account,
        by=by,
        scope_all=payload.scope_all,
        project_ids=payload.project_ids,
        building_ids=payload.building_ids,
    )
    return present_user(_fresh(account.pk))
