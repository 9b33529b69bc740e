"""Account lifecycle pages: accounts with their status, freeze, reactivate, events, SCIM tokens,
the HR webhook's status, and the set-password pages of reactivated accounts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anzu.common.errors import DomainError
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.models import User
from anzu.core.views import fetch, staff_view
from anzu.risk.identity import selectors, services
from anzu.risk.identity.access import account_for_user, scim_token_for_user, scim_tokens_for_user
from anzu.risk.identity.choices import Source
from anzu.risk.identity.forms import PasswordSetForm, ProfileForm, ReasonForm, ScimTokenForm
from anzu.risk.identity.hr import TOLERANCE_SECONDS

STATUSES = ("active", "frozen", "reset")


@staff_view("accounts.manage")
def account_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in STATUSES else ""
    qs = selectors.accounts_overview(access.org_id(request.user), status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [selectors.account_row(user) for user in page]
    return render(
        request,
        "identity/accounts.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "dormant_days": settings.DORMANT_DAYS,
            "warning_days": selectors.DORMANT_WARNING_DAYS,
        },
    )


def _detail(
    request: HttpRequest,
    account: User,
    *,
    freeze_form: ReasonForm | None = None,
    reactivate_form: ReasonForm | None = None,
    profile_form: ProfileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    row = selectors.account_row(
        selectors.with_last_activity(
            User.objects.filter(pk=account.pk).select_related("account_state")
        ).get()
    )
    return render(
        request,
        "identity/account.html",
        {
            "account": account,
            "row": row,
            "events": selectors.account_events(account)[:100],
            "freeze_form": freeze_form or ReasonForm(prefix="freeze"),
            "reactivate_form": reactivate_form or ReasonForm(prefix="reactivate"),
            "profile_form": profile_form
            or ProfileForm(
                prefix="profile",
                initial={
                    "employee_id": row["employee_id"],
                    "service_account": row["service_account"],
                },
            ),
            "is_self": account.pk == request.user.pk,
        },
        status=status,
    )


@never_cache
@staff_view("accounts.manage")
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, fetch(account_for_user, request.user, pk))


@require_POST
@staff_view("accounts.manage")
def account_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    account: User = fetch(account_for_user, request.user, pk)
    form = ReasonForm(request.POST, prefix="freeze")
    if form.is_valid():
        try:
            _state, changed = services.account_freeze(
                user=account,
                reason=form.cleaned_data["reason"],
                source=Source.MANUAL,
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            if changed:
                messages.success(request, _("The account was frozen."))
            else:
                messages.info(request, _("The account was already frozen."))
            return redirect("identity:account", pk=account.pk)
    return _detail(request, account, freeze_form=form, status=422)


def _reset_page(request: HttpRequest, account: User, raw: str, expires_at: Any) -> HttpResponse:
    link = request.build_absolute_uri(reverse("identity:password_reset", kwargs={"token": raw}))
    return render(
        request,
        "identity/reset_link.html",
        {"account": account, "link": link, "expires_at": expires_at},
    )


@never_cache
@require_POST
@staff_view("accounts.manage")
def account_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    account: User = fetch(account_for_user, request.user, pk)
    form = ReasonForm(request.POST, prefix="reactivate")
    if form.is_valid():
        try:
            state, raw = services.account_reactivate(
                user=account,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            return _reset_page(request, account, raw, state.reset_expires_at)
    return _detail(request, account, reactivate_form=form, status=422)


@never_cache
@require_POST
@staff_view("accounts.manage")
def account_reset_link(request: HttpRequest, pk: int) -> HttpResponse:
    account: User = fetch(account_for_user, request.user, pk)
    try:
        state, raw = services.account_reset_link_issue(user=account, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, localized_message(err))
        return redirect("identity:account", pk=account.pk)
    return _reset_page(request, account, raw, state.reset_expires_at)


@require_POST
@staff_view("accounts.manage")
def account_profile(request: HttpRequest, pk: int) -> HttpResponse:
    account: User = fetch(account_for_user, request.user, pk)
    form = ProfileForm(request.POST, prefix="profile")
    if form.is_valid():
        try:
            services.account_profile_update(
                user=account,
                by=request.user,  # type: ignore[arg-type]
                employee_id=form.cleaned_data["employee_id"],
                service_account=form.cleaned_data["service_account"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Saved."))
            return redirect("identity:account", pk=account.pk)
    return _detail(request, account, profile_form=form, status=422)


@never_cache
@staff_view("accounts.manage")
def provisioning(request: HttpRequest) -> HttpResponse:
    raw_token = None
    form = ScimTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw_token = services.scim_token_create(
                by=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            form = ScimTokenForm()
    return render(
        request,
        "identity/provisioning.html",
        {
            "form": form,
            "raw_token": raw_token,
            "tokens": scim_tokens_for_user(request.user),
            "scim_base": request.build_absolute_uri("/scim/v2"),
            "webhook_url": request.build_absolute_uri("/api/v1/hr/offboarding"),
            "webhook_configured": bool(settings.HR_WEBHOOK_SECRET),
            "tolerance": TOLERANCE_SECONDS,
            "hr_events": selectors.recent_hr_events(access.org_id(request.user)),
        },
        status=422 if form.errors else 200,
    )


@require_POST
@staff_view("accounts.manage")
def scim_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = fetch(scim_token_for_user, request.user, pk)
    services.scim_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("identity:provisioning")


def _password_form(
    request: HttpRequest, user: User, *, done_url: str, login_after: bool
) -> HttpResponse:
    form = PasswordSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_password_set(
                user=user,
                password=form.cleaned_data["password"],
                confirm=form.cleaned_data["confirm"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Your new password is set."))
            if login_after:
                from django.contrib.auth import update_session_auth_hash

                user.refresh_from_db()
                update_session_auth_hash(request, user)
            return redirect(done_url)
    return render(
        request,
        "identity/password_set.html",
        {"form": form, "account": user},
        status=422 if form.errors else 200,
    )


@never_cache
@login_required
def password_set(request: HttpRequest) -> HttpResponse:
    """A signed-in account that must reset sets its new password here before anything else."""
    user: User = request.user  # type: ignore[assignment]
    state = services.state_of_or_none(user)
    if state is None or not state.password_reset_required:
        return redirect("home")
    return _password_form(request, user, done_url=reverse("home"), login_after=True)


@never_cache
def password_reset(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link an administrator hands over after a reactivation."""
    user = services.user_for_reset_token(token)
    if user is None:
        raise Http404
    return _password_form(request, user, done_url=reverse("login"), login_after=False)
