"""Account pages (login, logout, home, API tokens) and helpers shared by the other apps' views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anzu.common import clock
from anzu.common.errors import DomainError, NotFound
from anzu.common.errors import PermissionDenied as DomainPermissionDenied
from anzu.core import access
from anzu.core import tokens as token_services
from anzu.core.choices import Role
from anzu.core.forms import TokenForm, localized_message
from anzu.core.models import ApiToken

T = TypeVar("T")
View = Callable[..., HttpResponse]


# The login page (/accounts/login/) is anzu.risk.signin.views.login_view: password, progressive
# delays, risk assessment and the TOTP step-up (docs/login-risk.md).


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


# Helpers for views ---------------------------------------------------------------------------


def staff_view(capability: str | None = None) -> Callable[[View], View]:
    """Login required, staff only, and (optionally) a capability; otherwise 403."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not access.is_staff_user(request.user):
                raise DjangoPermissionDenied
            if capability is not None and not access.can(request.user, capability):
                raise DjangoPermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except DomainPermissionDenied:
                raise DjangoPermissionDenied from None

        return wrapper

    return decorator


def fetch(getter: Callable[[Any, Any], T], user: Any, pk: Any) -> T:
    """Fetch through an access helper; out of organization or scope is a 404."""
    try:
        return getter(user, pk)
    except NotFound:
        raise Http404 from None


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def querystring_without_page(params: QueryDict) -> str:
    copy = params.copy()
    copy.pop("page", None)
    return copy.urlencode()


# Pages ------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from anzu.leasing import selectors as leasing_selectors
    from anzu.portfolio import selectors as portfolio_selectors

    user = request.user
    context: dict[str, Any] = {"is_staff_user": access.is_staff_user(user)}
    if context["is_staff_user"]:
        labels = dict(Role.choices)
        context["roles"] = [labels[r] for r in sorted(user.role_set) if r in labels]  # type: ignore[union-attr]
        if access.can(user, "portfolio.view"):
            context["unit_summary"] = portfolio_selectors.unit_status_summary(user)
        if access.can(user, "lease.view"):
            today = clock.today()
            context["lease_summary"] = leasing_selectors.lease_status_summary(user)
            context["expiring"] = leasing_selectors.expiring_lease_count(user, today=today, days=30)
            if access.sees_amounts(user):
                context["rent_roll"] = leasing_selectors.active_rent_roll(user, today=today)
    elif access.is_tenant_user(user):
        from anzu.leasing.access import leases_for_user
        from anzu.leasing.presenters import present_lease

        context["my_leases"] = [
            {**present_lease(user, lease), "status_label": lease.get_status_display()}
            for lease in leases_for_user(user)
            .select_related("unit", "customer", "building")
            .exclude(status="void")
            .order_by("-start_date", "-id")
        ]
    return render(request, "core/home.html", context)


def _token_list(request: HttpRequest) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(user_id=int(request.user.pk or 0)).order_by("-created_at", "-id")
    )


@never_cache
@staff_view("api.tokens")
def tokens(request: HttpRequest) -> HttpResponse:
    raw_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw_token = token_services.token_create(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            form = TokenForm()
    now = clock.now()
    return render(
        request,
        "core/tokens.html",
        {"form": form, "tokens": _token_list(request), "raw_token": raw_token, "now": now},
        status=422 if form.errors else 200,
    )


@require_POST
@staff_view("api.tokens")
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    from django.contrib import messages

    try:
        token = token_services.token_revoke(user=request.user, token_id=pk)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    except DomainError as err:
        messages.error(request, localized_message(err))
    else:
        messages.success(request, _("Token “%(name)s” was revoked.") % {"name": token.name})
    return redirect(reverse("tokens"))


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and database check for load balancers and process supervisors (no login)."""
    from django.db import connection
    from django.http import JsonResponse

    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
