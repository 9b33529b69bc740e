"""Account administration pages: staff accounts with roles and scope, tenant portal accounts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from anzu.common.errors import DomainError
from anzu.core import access
from anzu.core import users as user_services
from anzu.core.models import AuditEvent, User
from anzu.core.user_forms import RolesForm, ScopeForm, StaffUserForm, TenantUserForm
from anzu.core.views import fetch, staff_view
from anzu.portfolio.access import buildings_for_user, projects_for_user
from anzu.risk.approvals.web import is_request, submitted


def _scope_choices(user: Any) -> dict[str, Any]:
    return {
        "projects": projects_for_user(user).order_by("code"),
        "buildings": buildings_for_user(user)
        .select_related("project")
        .order_by("project__code", "code"),
    }


@staff_view("users.manage")
def user_list(request: HttpRequest) -> HttpResponse:
    accounts = (
        user_services.users_for_user(request.user)
        .prefetch_related("role_grants", "scopes")
        .select_related("customer")
    )
    return render(request, "core/users/list.html", {"accounts": accounts})


@never_cache
@staff_view("users.manage")
def user_create(request: HttpRequest) -> HttpResponse:
    form = StaffUserForm(request.POST or None, **_scope_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            account, password = user_services.staff_user_create(
                by=request.user,  # type: ignore[arg-type]
                data=dict(form.cleaned_data),
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            return render(
                request,
                "core/users/created.html",
                {
                    "account": account,
                    "password": password,
                    "role_request": account.__dict__.get("role_request"),
                },
            )
    return render(
        request, "core/users/form.html", {"form": form}, status=422 if form.errors else 200
    )


@never_cache
@staff_view("users.manage")
def tenant_create(request: HttpRequest) -> HttpResponse:
    form = TenantUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account, password = user_services.tenant_user_create(
                by=request.user,  # type: ignore[arg-type]
                customer_id=form.cleaned_data["customer_id"],
                username=form.cleaned_data["username"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            return render(
                request, "core/users/created.html", {"account": account, "password": password}
            )
    return render(
        request, "core/users/tenant_form.html", {"form": form}, status=422 if form.errors else 200
    )


@never_cache
@staff_view("users.manage")
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account: User = fetch(user_services.user_for_user, request.user, pk)
    choices = _scope_choices(request.user)
    scope_rows = list(account.scopes.values_list("project_id", "building_id"))
    roles_form = RolesForm(initial={"roles": sorted(account.role_set)}, prefix="roles")
    scope_form = ScopeForm(
        initial={
            "scope_all": account.scope_all,
            "project_ids": [p for p, _b in scope_rows if p],
            "building_ids": [b for _p, b in scope_rows if b],
        },
        prefix="scope",
        **choices,
    )
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "roles":
                roles_form = RolesForm(request.POST, prefix="roles")
                if roles_form.is_valid():
                    result = user_services.user_set_roles(
                        user=account,
                        by=request.user,  # type: ignore[arg-type]
                        roles=roles_form.cleaned_data["roles"],
                    )
                    if is_request(result):  # a second administrator approves the grant
                        return submitted(request, result)
                    return redirect("user_detail", pk=account.pk)
            elif which == "scope":
                scope_form = ScopeForm(request.POST, prefix="scope", **choices)
                if scope_form.is_valid():
                    user_services.user_set_scope(
                        user=account,
                        by=request.user,  # type: ignore[arg-type]
                        scope_all=scope_form.cleaned_data["scope_all"],
                        project_ids=scope_form.cleaned_data["project_ids"],
                        building_ids=scope_form.cleaned_data["building_ids"],
                    )
                    return redirect("user_detail", pk=account.pk)
        except DomainError as err:
            (roles_form if which == "roles" else scope_form).add_domain_error(err)
        status = 422
    events = AuditEvent.objects.filter(
        organization_id=access.org_id(account), object_type="core.user", object_id=str(account.pk)
    ).order_by("-id")[:20]
    return render(
        request,
        "core/users/detail.html",
        {"account": account, "roles_form": roles_form, "scope_form": scope_form, "events": events},
        status=status,
    )
