"""The public reporting page reached by scanning a unit's QR code (``/r/<token>/``).

Flow: choose a category → self-help articles ("solved" / "still need help") → identify (portal
tenant of the unit, or phone + SMS code) → description and photos → ticket → confirmation.
No login is needed; the token names the unit. Views are thin: reads from
:mod:`~anzu.maintenance.knowledge.selectors`, writes through
:mod:`~anzu.maintenance.knowledge.services`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from anzu.common.errors import DomainError
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.maintenance.knowledge import categories, selectors, services
from anzu.maintenance.knowledge.forms import CodeForm, IdentifyForm, ReportForm
from anzu.maintenance.knowledge.presenters import present_article_public
from anzu.maintenance.knowledge.tokens import QrCodeExpired, QrCodeInvalid, QrCodeReplaced
from anzu.portfolio.models import Unit

View = Callable[..., HttpResponse]


def public_page(view: View) -> View:
    """Resolve the token to its unit; an invalid code is a 404 page, a replaced one a 410."""

    @never_cache
    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            unit = selectors.qr_resolve(token)
        except QrCodeInvalid:
            return render(request, "knowledge/qr_invalid.html", status=404)
        except (QrCodeReplaced, QrCodeExpired) as err:
            return render(
                request,
                "knowledge/qr_replaced.html",
                {"expired": isinstance(err, QrCodeExpired)},
                status=410,
            )
        return view(request, unit, token, *args, **kwargs)

    return wrapper


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return str(request.session.session_key)


def _visit_key(unit: Unit, code: str) -> str:
    return f"kb_visit:{unit.pk}:{code}"


def _identity_key(unit: Unit) -> str:
    return f"kb_identity:{unit.pk}"


def _category(code: str) -> str:
    if not categories.is_known(code):
        raise Http404
    return code


def _reporter(request: HttpRequest, unit: Unit) -> services.Reporter | None:
    """The portal tenant of this unit, or the phone verified by SMS in this session."""
    user: Any = request.user
    if access.is_tenant_user(user) and user.organization_id == unit.organization_id:
        customer = selectors.tenant_of_unit(unit, customer_id=user.customer_id)
        if customer is not None:
            return services.Reporter(customer.pk, customer.name, customer.phone or "", user)
    challenge = selectors.verified_challenge(
        unit, request.session.get(_identity_key(unit)), within=services.IDENTITY_TTL
    )
    if challenge is None:
        return None
    if challenge.customer_id is not None:
        return services.Reporter(
            challenge.customer_id, challenge.name or challenge.customer.name, challenge.phone
        )
    return services.Reporter(None, challenge.name, challenge.phone)


def _context(unit: Unit, token: str, **extra: Any) -> dict[str, Any]:
    return {"unit": unit, "token": token, **extra}


@public_page
def start(request: HttpRequest, unit: Unit, token: str) -> HttpResponse:
    return render(
        request, "knowledge/report_start.html", _context(unit, token, groups=categories.groups())
    )


@public_page
def articles(request: HttpRequest, unit: Unit, token: str, code: str) -> HttpResponse:
    code = _category(code)
    shown = selectors.articles_for_category(unit.organization_id, code)
    if not shown:
        return redirect("report:report", token=token, code=code)
    event = services.deflection_show(
        unit=unit, category_code=code, articles=shown, session_key=_session_key(request)
    )
    request.session[_visit_key(unit, code)] = event.pk
    return render(
        request,
        "knowledge/report_articles.html",
        _context(
            unit,
            token,
            code=code,
            category=categories.label(code),
            articles=[present_article_public(a) for a in shown],
        ),
    )


@require_POST
@public_page
def solved(request: HttpRequest, unit: Unit, token: str, code: str) -> HttpResponse:
    code = _category(code)
    try:
        services.deflection_solve(
            event_id=request.session.get(_visit_key(unit, code)),
            unit=unit,
            session_key=_session_key(request),
        )
    except DomainError:
        return redirect("report:articles", token=token, code=code)
    return render(
        request,
        "knowledge/report_solved.html",
        _context(unit, token, code=code, category=categories.label(code)),
    )


@require_http_methods(["GET", "POST"])
@public_page
def identify(request: HttpRequest, unit: Unit, token: str, code: str) -> HttpResponse:
    code = _category(code)
    form = IdentifyForm(request.POST or None)
    throttled = False
    if request.method == "POST" and form.is_valid():
        try:
            challenge = services.sms_challenge_send(
                unit=unit, phone=form.cleaned_data["phone"], name=form.cleaned_data["name"]
            )
        except DomainError as err:
            throttled = isinstance(err, services.Throttled)
            form.add_domain_error(err)
        else:
            request.session[f"kb_challenge:{unit.pk}"] = challenge.pk
            return redirect("report:verify", token=token, code=code)
    return render(
        request,
        "knowledge/report_identify.html",
        _context(unit, token, code=code, category=categories.label(code), form=form),
        status=429 if throttled else (422 if form.errors else 200),
    )


@require_http_methods(["GET", "POST"])
@public_page
def verify(request: HttpRequest, unit: Unit, token: str, code: str) -> HttpResponse:
    code = _category(code)
    challenge_id = request.session.get(f"kb_challenge:{unit.pk}")
    if challenge_id is None:
        return redirect("report:identify", token=token, code=code)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = services.sms_challenge_verify(
                challenge_id=challenge_id, unit=unit, code=form.cleaned_data["code"]
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            request.session[_identity_key(unit)] = challenge.pk
            request.session.pop(f"kb_challenge:{unit.pk}", None)
            return redirect("report:report", token=token, code=code)
    return render(
        request,
        "knowledge/report_verify.html",
        _context(unit, token, code=code, category=categories.label(code), form=form),
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@public_page
def report(request: HttpRequest, unit: Unit, token: str, code: str) -> HttpResponse:
    code = _category(code)
    reporter = _reporter(request, unit)
    if reporter is None:
        return redirect("report:identify", token=token, code=code)
    visitor = reporter.customer_id is None
    form = ReportForm(request.POST or None, visitor=visitor)
    photo_error = ""
    if request.method == "POST" and form.is_valid():
        if visitor:
            reporter = services.Reporter(None, form.cleaned_data["name"], reporter.phone)
        try:
            ticket = services.qr_report_submit(
                unit=unit,
                category_code=code,
                description=form.cleaned_data["description"],
                urgency=form.cleaned_data["urgency"],
                photos=request.FILES.getlist("photos"),
                reporter=reporter,
                session_key=_session_key(request),
                deflection_event_id=request.session.get(_visit_key(unit, code)),
            )
        except DomainError as err:
            if err.field == "photos":
                photo_error = localized_message(err)
            else:
                form.add_domain_error(err)
        else:
            request.session.pop(_visit_key(unit, code), None)
            request.session[f"kb_done:{unit.pk}"] = {
                "number": str(getattr(ticket, "number", "")),
                "tracking_url": _tracking_url(ticket) if reporter.customer_id else "",
            }
            return redirect("report:done", token=token)
    return render(
        request,
        "knowledge/report_form.html",
        _context(
            unit,
            token,
            code=code,
            category=categories.label(code),
            form=form,
            visitor=visitor,
            reporter=reporter,
            photo_error=photo_error,
        ),
        status=422 if (form.errors or photo_error) else 200,
    )


def _tracking_url(ticket: Any) -> str:
    """The tenant's tracking page of the ticket (portal login; visitors are kept posted by SMS)."""
    try:
        return reverse("workorders:track", kwargs={"pk": ticket.pk})
    except NoReverseMatch:
        return ""


@public_page
def done(request: HttpRequest, unit: Unit, token: str) -> HttpResponse:
    result = request.session.get(f"kb_done:{unit.pk}")
    if not result:
        return redirect("report:start", token=token)
    return render(request, "knowledge/report_done.html", _context(unit, token, result=result))
