"""SLA pages: the organization's policies (时效策略) and business calendars (工作日历).

Dispatchers may look; administrators and management create, edit, retire (policies) and delete
(unused calendars), through the services of :mod:`anzu.maintenance.clocks`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import staff_view
from anzu.maintenance import clocks
from anzu.maintenance.choices import Urgency
from anzu.maintenance.forms import (
    WEEKDAY_LABELS,
    CalendarForm,
    SlaPolicyCreateForm,
    SlaPolicyForm,
)
from anzu.maintenance.models import BusinessCalendar, SlaPolicy

# Fixed messages raised by calendar_update, listed here so they are extracted for translation.
SLA_MESSAGES = [
    gettext_noop("Unknown weekday."),
    gettext_noop("Enter working hours as HH:MM-HH:MM."),
    gettext_noop("A working window must start before it ends."),
    gettext_noop("Working windows of a day overlap."),
    gettext_noop("A date cannot be both a holiday and a workday."),
    gettext_noop("Enter working hours for at least one weekday, or choose 24×7."),
    gettext_noop("A calendar with this name already exists."),
    gettext_noop("Unknown time zone."),
    gettext_noop("This calendar is used by an SLA policy and cannot be deleted."),
    gettext_noop("Unknown fault category."),
    gettext_noop("Unknown urgency."),
    gettext_noop("Unknown business calendar."),
    gettext_noop("Choose statuses from the list."),
    gettext_noop("Only the statuses of an open work order can pause a clock."),
    gettext_noop("The on-site target cannot be shorter than the first-response target."),
    gettext_noop("The resolution target cannot be shorter than the on-site target."),
    gettext_noop("A policy for this category and urgency already exists."),
    gettext_noop("This policy was retired and cannot be changed."),
    gettext_noop("The catch-all policy cannot be retired; edit it instead."),
]


def _policy_for_user(user: Any, pk: int) -> SlaPolicy:
    policy = (
        SlaPolicy.objects.filter(pk=pk, organization_id=user.organization_id)
        .select_related("category", "calendar")
        .first()
    )
    if policy is None:
        raise Http404
    return policy


def _calendar_for_user(user: Any, pk: int) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(pk=pk, organization_id=user.organization_id).first()
    if calendar is None:
        raise Http404
    return calendar


def _calendar_choices(user: Any) -> list[tuple[int, str]]:
    return list(
        BusinessCalendar.objects.filter(organization_id=user.organization_id)
        .order_by("name", "id")
        .values_list("id", "name")
    )


def _require_edit(user: Any) -> None:
    if not access.can(user, "workorders.review"):
        raise DjangoPermissionDenied


def _policy_row(policy: SlaPolicy) -> dict[str, Any]:
    urgencies = dict(Urgency.choices)
    return {
        "pk": policy.pk,
        "category": policy.category.name if policy.category else _("Any category"),
        "urgency": urgencies.get(policy.urgency, policy.urgency) if policy.urgency else _("Any"),
        "first_response_minutes": policy.first_response_minutes,
        "on_site_minutes": policy.on_site_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "calendar": policy.calendar.name,
        "version": policy.version,
        "catch_all": policy.category_id is None and not policy.urgency,
    }


def _calendar_row(calendar: BusinessCalendar, used: set[int] | None = None) -> dict[str, Any]:
    days = [
        f"{WEEKDAY_LABELS[int(day)]} {', '.join(f'{s}-{e}' for s, e in spans)}"
        for day, spans in sorted((calendar.windows or {}).items(), key=lambda i: int(i[0]))
        if spans
    ]
    return {
        "pk": calendar.pk,
        "name": calendar.name,
        "always": calendar.always,
        "windows": days,
        "holidays": len(calendar.holidays or []),
        "workdays": len(calendar.workdays or []),
        "in_use": used is not None and calendar.pk in used,
    }


@staff_view("workorders.dispatch")
def sla(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    clocks.sla_ensure_default(user.organization_id)
    policies = (
        SlaPolicy.objects.filter(organization_id=user.organization_id, is_active=True)
        .select_related("category", "calendar")
        .order_by("category__code", "urgency", "id")
    )
    calendars = BusinessCalendar.objects.filter(organization_id=user.organization_id)
    used = set(
        SlaPolicy.objects.filter(organization_id=user.organization_id).values_list(
            "calendar_id", flat=True
        )
    )
    return render(
        request,
        "maintenance/sla.html",
        {
            "policies": [_policy_row(p) for p in policies],
            "calendars": [_calendar_row(c, used) for c in calendars],
            "can_edit": access.can(user, "workorders.review"),
        },
    )


@staff_view("workorders.dispatch")
def sla_policy(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    policy = _policy_for_user(user, pk)
    _require_edit(user)
    form = SlaPolicyForm(
        request.POST or None,
        calendars=_calendar_choices(user),
        initial={
            "first_response_minutes": policy.first_response_minutes,
            "on_site_minutes": policy.on_site_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "auto_verify_hours": policy.auto_verify_hours,
            "reopen_days": policy.reopen_days,
            "calendar_id": policy.calendar_id,
            "pause_states": policy.pause_states,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            clocks.sla_policy_update(policy=policy, by=user, now=clock.now(), **form.cleaned_data)
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("SLA policy saved."))
            return redirect("workorders:sla")
    return render(
        request,
        "maintenance/sla_policy.html",
        {"form": form, "policy": _policy_row(policy), "is_active": policy.is_active},
        status=422 if form.errors else 200,
    )


@staff_view("workorders.dispatch")
def sla_policy_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_edit(user)
    clocks.sla_ensure_default(user.organization_id)
    form = SlaPolicyCreateForm(
        request.POST or None,
        calendars=_calendar_choices(user),
        initial={
            "first_response_minutes": 120,
            "on_site_minutes": 24 * 60,
            "resolution_minutes": 72 * 60,
            "auto_verify_hours": clocks.DEFAULT_AUTO_VERIFY_HOURS,
            "reopen_days": clocks.DEFAULT_REOPEN_DAYS,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            clocks.sla_policy_create(
                organization_id=user.organization_id, by=user, **form.service_kwargs()
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("SLA policy created."))
            return redirect("workorders:sla")
    return render(
        request,
        "maintenance/sla_policy.html",
        {"form": form, "policy": None, "is_active": True},
        status=422 if form.errors else 200,
    )


@require_POST
@staff_view("workorders.dispatch")
def sla_policy_retire(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    policy = _policy_for_user(user, pk)
    _require_edit(user)
    try:
        clocks.sla_policy_retire(policy=policy, by=user)
    except DomainError as err:
        messages.error(request, localized_message(err))
    else:
        messages.success(request, _("SLA policy retired."))
    return redirect("workorders:sla")


@staff_view("workorders.dispatch")
def calendar(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    the_calendar = _calendar_for_user(user, pk)
    _require_edit(user)
    initial = CalendarForm.initial_for(
        the_calendar.windows or {}, the_calendar.holidays or [], the_calendar.workdays or []
    )
    initial["always"] = the_calendar.always
    initial["name"] = the_calendar.name
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            clocks.calendar_update(calendar=the_calendar, by=user, **form.service_kwargs())
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Calendar saved."))
            return redirect("workorders:sla")
    return render(
        request,
        "maintenance/sla_calendar.html",
        {"form": form, "calendar": the_calendar},
        status=422 if form.errors else 200,
    )


@staff_view("workorders.dispatch")
def calendar_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_edit(user)
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            clocks.calendar_create(
                organization_id=user.organization_id, by=user, **form.service_kwargs()
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Calendar created."))
            return redirect("workorders:sla")
    return render(
        request,
        "maintenance/sla_calendar.html",
        {"form": form, "calendar": None},
        status=422 if form.errors else 200,
    )


@require_POST
@staff_view("workorders.dispatch")
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    the_calendar = _calendar_for_user(user, pk)
    _require_edit(user)
    try:
        clocks.calendar_delete(calendar=the_calendar, by=user)
    except DomainError as err:
        messages.error(request, localized_message(err))
    else:
        messages.success(request, _("Calendar deleted."))
    return redirect("workorders:sla")
