"""Login with risk assessment, the TOTP step-up and enrolment, my devices, and the decisions
log. The login view replaces Django's: password → delay check → risk → allow / step-up / deny.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from anzu.common import validate as v
from anzu.common.errors import DomainError, NotFound, ValidationFailed
from anzu.core import access
from anzu.core.middleware import client_ip
from anzu.core.models import User
from anzu.core.views import staff_view
from anzu.risk.signin import engine, services
from anzu.risk.signin.choices import SIGNAL_LABELS, AttemptKind, Decision, Outcome
from anzu.risk.signin.forms import (
    DeviceRemoveForm,
    EnrollConfirmForm,
    EnrollStartForm,
    StepUpForm,
)
from anzu.risk.signin.models import LoginAttempt
from anzu.risk.signin.selectors import decisions_for_user

PENDING = "signin_pending"


def _next_url(request: HttpRequest, candidate: str | None = None) -> str:
    target = candidate
    if target is None:
        target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_device(request: HttpRequest, response: HttpResponse, device_id: str) -> HttpResponse:
    if services.device_id_from(request) != device_id:
        services.set_device_cookie(request, response, device_id)
    return response


def _login_page(
    request: HttpRequest, form: AuthenticationForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    context.update(extra)
    return render(request, "core/login.html", context, status=status)


@sensitive_post_parameters()
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    device_id = services.device_id_from(request) or services.new_device_id()
    if request.user.is_authenticated and request.method != "POST":
        return redirect(_next_url(request))
    if request.method != "POST":
        return _with_device(request, _login_page(request, AuthenticationForm(request)), device_id)

    username = str(request.POST.get("username", ""))[:150]
    ip = client_ip(request)
    user_agent = request.headers.get("User-Agent", "")
    wait = services.retry_after(username=username, ip=ip, device_id=device_id)
    # One password check at a time per user name: a burst of parallel guesses cannot slip
    # through before the first failures are recorded.
    slot = services.claim_attempt(username) if wait == 0 else None
    if slot is None:
        wait = max(wait, 1)
        services.record_throttled(
            username=username, ip=ip, device_id=device_id, user_agent=user_agent, wait=wait
        )
        response = _login_page(
            request,
            AuthenticationForm(request, initial={"username": username}),
            status=429,
            throttled=wait,
        )
        response["Retry-After"] = str(wait)
        return _with_device(request, response, device_id)
    try:
        return _check_password(request, username, ip, user_agent, device_id)
    finally:
        services.release_attempt(slot)


def _check_password(
    request: HttpRequest, username: str, ip: str | None, user_agent: str, device_id: str
) -> HttpResponse:
    form = AuthenticationForm(request, data=request.POST)
    if not form.is_valid():
        if username and request.POST.get("password"):
            services.record_bad_password(
                username=username, ip=ip, device_id=device_id, user_agent=user_agent
            )
        return _with_device(request, _login_page(request, form), device_id)

    user = form.get_user()
    attempt = services.login_assess(user=user, ip=ip, device_id=device_id, user_agent=user_agent)
    next_url = _next_url(request)
    if attempt.outcome == Outcome.LOGGED_IN:
        auth_login(request, user)
        return _with_device(request, redirect(next_url), device_id)
    if attempt.outcome in (Outcome.STEP_UP_REQUIRED, Outcome.ENROLL_REQUIRED):
        request.session.cycle_key()
        request.session[PENDING] = {
            "attempt": attempt.pk,
            "user": user.pk,
            "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
            "next": next_url,
            "failures": 0,
            "device": None,
        }
        target = "signin:verify" if attempt.outcome == Outcome.STEP_UP_REQUIRED else "signin:enroll"
        return _with_device(request, redirect(target), device_id)
    no_device = attempt.decision == Decision.STEP_UP
    response = _login_page(
        request,
        AuthenticationForm(request, initial={"username": username}),
        status=403,
        denied=True,
        no_device=no_device,
    )
    return _with_device(request, response, device_id)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The Django admin's login URL: the same assessed login. Someone already logged in but
    not allowed into the admin gets the admin's own page (no redirect loop)."""
    if request.user.is_authenticated and request.method != "POST":
        from django.contrib import admin

        return admin.site.login(request)
    return login_view(request)


def _pending(request: HttpRequest) -> tuple[dict[str, Any], LoginAttempt] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        attempt = services.pending_attempt(int(pending["attempt"]), int(pending["user"]))
    except (NotFound, KeyError, TypeError, ValueError):
        request.session.pop(PENDING, None)
        return None
    return pending, attempt


def _finish(
    request: HttpRequest, pending: dict[str, Any], user: User, device: TOTPDevice
) -> HttpResponse:
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=pending.get("backend"))
    otp_login(request, device)
    return redirect(_next_url(request, pending.get("next") or ""))


def _expired(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("The login has expired or was refused. Please log in again."))
    return redirect("login")


@sensitive_post_parameters()
@csrf_protect
@never_cache
def step_up(request: HttpRequest) -> HttpResponse:
    found = _pending(request)
    if found is None:
        return _expired(request)
    pending, attempt = found
    if attempt.outcome != Outcome.STEP_UP_REQUIRED or attempt.user is None:
        return redirect("signin:enroll")
    form = StepUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        device = services.step_up_verify(
            attempt=attempt, token=form.cleaned_data["token"], failures=int(pending["failures"])
        )
        if device is not None:
            return _finish(request, pending, attempt.user, device)
        if attempt.outcome == Outcome.STEP_UP_FAILED:
            request.session.pop(PENDING, None)
            return _expired(request)
        pending["failures"] = int(pending["failures"]) + 1
        request.session[PENDING] = pending
        form.add_error("token", _("The code is wrong or has expired."))
        status = 400
    return render(request, "signin/step_up.html", {"form": form}, status=status)


def _qr_svg(device: TOTPDevice) -> str:
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4))


def _secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


@sensitive_post_parameters()
@csrf_protect
@never_cache
def enroll_at_login(request: HttpRequest) -> HttpResponse:
    found = _pending(request)
    if found is None:
        return _expired(request)
    pending, attempt = found
    user = attempt.user
    if attempt.outcome != Outcome.ENROLL_REQUIRED or user is None:
        return redirect("signin:verify")
    device = None
    if pending.get("device"):
        device = TOTPDevice.objects.filter(pk=pending["device"], user=user, confirmed=False).first()
    if device is None:
        device = services.totp_enroll_start(by=user, name=_("My phone"))
        pending["device"] = device.pk
        request.session[PENDING] = pending
    form = EnrollConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_enroll_confirm(device=device, token=form.cleaned_data["token"], by=user)
            services.step_up_enrolled(attempt=attempt)
        except DomainError as err:
            form.add_domain_error(err)
            status = 400
        else:
            return _finish(request, pending, user, device)
    return render(
        request,
        "signin/enroll_at_login.html",
        {"form": form, "qr": _qr_svg(device), "secret": _secret(device)},
        status=status,
    )


# My devices ---------------------------------------------------------------------------------


def _devices_page(request: HttpRequest, *, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id"))
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    context: dict[str, Any] = {
        "devices": devices,
        "pending": pending,
        "qr": _qr_svg(pending) if pending else "",
        "secret": _secret(pending) if pending else "",
        "start_form": forms.get("start_form") or EnrollStartForm(),
        "confirm_form": forms.get("confirm_form") or EnrollConfirmForm(),
        "remove_form": forms.get("remove_form") or DeviceRemoveForm(),
        "remove_error_for": forms.get("remove_error_for"),
        "verified": bool(getattr(user, "is_verified", lambda: False)()),
        "can_see_decisions": access.can(user, "signin.decisions"),
    }
    return render(request, "signin/devices.html", context, status=status)


@never_cache
@staff_view("signin.devices")
def devices(request: HttpRequest) -> HttpResponse:
    return _devices_page(request)


@require_POST
@staff_view("signin.devices")
def device_add(request: HttpRequest) -> HttpResponse:
    form = EnrollStartForm(request.POST)
    if form.is_valid():
        try:
            services.totp_enroll_start(by=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
        except DomainError as err:
            form.add_domain_error(err)
        else:
            return redirect("signin:devices")
    return _devices_page(request, status=400, start_form=form)


@require_POST
@staff_view("signin.devices")
def device_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    device = TOTPDevice.objects.filter(pk=pk, user=request.user, confirmed=False).first()
    if device is None:
        raise NotFound("device")
    form = EnrollConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.totp_enroll_confirm(
                device=device,
                token=form.cleaned_data["token"],
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("The authenticator is enrolled."))
            return redirect("signin:devices")
    return _devices_page(request, status=400, confirm_form=form)


@require_POST
@staff_view("signin.devices")
def device_remove(request: HttpRequest, pk: int) -> HttpResponse:
    form = DeviceRemoveForm(request.POST)
    if form.is_valid():
        try:
            services.totp_device_remove(
                device_id=pk,
                token=form.cleaned_data["token"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationFailed as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("The device was removed."))
            return redirect("signin:devices")
    return _devices_page(request, status=400, remove_form=form, remove_error_for=pk)


# Decisions ----------------------------------------------------------------------------------


@staff_view("signin.decisions")
def decisions(request: HttpRequest) -> HttpResponse:
    params = request.GET
    errors: dict[str, str] = {}
    dates: dict[str, Any] = {}
    for name in ("since", "until"):
        try:
            dates[name] = v.date(params.get(name) or None, field=name, required=False)
        except ValidationFailed as exc:
            errors[name] = _(str(exc.message))
            dates[name] = None
    decision = params.get("decision", "")
    if decision not in {c for c, _label in Decision.choices}:
        decision = ""
    kind = params.get("kind", "")
    if kind not in {c for c, _label in AttemptKind.choices}:
        kind = ""
    qs = decisions_for_user(
        request.user,
        decision=decision,
        username=params.get("username", "")[:150],
        kind=kind,
        since=dates["since"],
        until=dates["until"],
    )
    page = Paginator(qs, 50).get_page(params.get("page"))
    for row in page:
        row.signal_rows = [  # type: ignore[attr-defined]
            {
                "name": s.get("name", ""),
                "label": SIGNAL_LABELS.get(str(s.get("name", "")), s.get("name", "")),
                "weight": s.get("weight", 0),
                "detail": s.get("detail") or {},
            }
            for s in row.signals
            if isinstance(s, dict)
        ]
    query = params.copy()
    query.pop("page", None)
    cfg = services.config()
    return render(
        request,
        "signin/decisions.html",
        {
            "page": page,
            "params": params,
            "errors": errors,
            "query": query.urlencode(),
            "decisions": Decision.choices,
            "kinds": AttemptKind.choices,
            "config": cfg,
            "office_cidrs": ", ".join(str(n) for n in cfg.office_cidrs),
            "weights": [(name, SIGNAL_LABELS[name], w) for name, w in engine.WEIGHTS.items()],
        },
    )
