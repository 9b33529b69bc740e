"""Work-order pages: the dispatcher board, a ticket, phone intake, an engineer's tasks, the
tenant's tickets and tracking page, the review queue.

Views are thin: objects come from :mod:`anzu.maintenance.access`, writes go through the
services, what is shown through the presenters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anzu.common import clock
from anzu.common.errors import DomainError, NotFound
from anzu.common.errors import PermissionDenied as DomainPermissionDenied
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.models import User
from anzu.core.views import fetch, staff_view
from anzu.leasing.models import Lease
from anzu.maintenance import access as wo_access
from anzu.maintenance import dispatching, photos, selectors, services
from anzu.maintenance.choices import Channel, ReviewStatus, TicketStatus, Urgency
from anzu.maintenance.forms import (
    DeclineForm,
    EngineerProfileForm,
    IntakeForm,
    NoteForm,
    OverrideForm,
    RatingForm,
    ReviewCloseForm,
    TenantReportForm,
)
from anzu.maintenance.models import EngineerProfile, TicketPhoto
from anzu.maintenance.presenters import present_ticket, present_ticket_detail
from anzu.portfolio import access as portfolio_access

View = Callable[..., HttpResponse]
S = TicketStatus


def tenant_page(view: View) -> View:
    """Login required, tenants only; NotFound is a 404."""

    @login_required
    @never_cache
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_tenant_user(request.user):
            raise DjangoPermissionDenied
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except DomainPermissionDenied:
            raise DjangoPermissionDenied from None

    return wrapper


def transition_message(err: DomainError) -> str:
    if err.code == "illegal_transition":
        labels = dict(S.choices)
        return _("Cannot change status from %(current)s to %(target)s.") % {
            "current": labels.get(err.extra.get("current", ""), err.extra.get("current", "")),
            "target": labels.get(err.extra.get("target", ""), err.extra.get("target", "")),
        }
    return localized_message(err)


# Staff ---------------------------------------------------------------------------------------


@staff_view("workorders.dispatch")
def board(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = selectors.TicketFilters(
        category=request.GET.get("category", ""),
        urgency=request.GET.get("urgency", ""),
        number=request.GET.get("number", ""),
    )
    columns = selectors.board(user, filters, now=clock.now())
    return render(
        request,
        "maintenance/board.html",
        {
            "columns": columns,
            "filters": filters,
            "now": clock.now(),
            "urgencies": Urgency.choices,
        },
    )


def _units(user: Any) -> list[tuple[int, str]]:
    return [
        (pk, f"{project} · {building} {code}")
        for pk, project, building, code in portfolio_access.units_for_user(user)
        .order_by("project__code", "building__code", "code", "id")
        .values_list("id", "project__name", "building__name", "code")
    ]


@staff_view("workorders.intake")
def intake(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = IntakeForm(request.POST or None, request.FILES or None, units=_units(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                organization_id=access.org_id(user),
                unit_id=data["unit_id"],
                category_code=data["category_code"],
                description=data["description"],
                channel=Channel.PHONE,
                urgency=data["urgency"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                photos=data["photos"],
                by=user,
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(
                request, _("Work order %(number)s created.") % {"number": ticket.number}
            )
            return redirect("workorders:ticket", pk=ticket.pk)
    return render(
        request, "maintenance/intake.html", {"form": form}, status=422 if form.errors else 200
    )


def _engineers(user: Any) -> list[tuple[int, str]]:
    return [
        (p.user_id, p.user.label)
        for p in EngineerProfile.objects.filter(
            organization_id=user.organization_id, is_active=True
        ).select_related("user")
    ]


def _render_ticket(
    request: HttpRequest,
    ticket: Any,
    *,
    override_form: OverrideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    detail = present_ticket_detail(user, ticket)
    return render(
        request,
        "maintenance/ticket.html",
        {
            "t": detail,
            "ticket": ticket,
            "can_dispatch": access.can(user, "workorders.dispatch"),
            "override_form": override_form or OverrideForm(engineers=_engineers(user)),
            "note_form": NoteForm(),
            "is_assigned": ticket.assigned_engineer_id == user.pk,
        },
        status=status,
    )


@staff_view("workorders.view")
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_ticket(request, fetch(wo_access.ticket_for_user, request.user, pk))


@require_POST
@staff_view("workorders.dispatch")
def ticket_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    the_ticket = fetch(wo_access.ticket_for_user, request.user, pk)
    try:
        dispatching.ticket_dispatch(ticket=the_ticket, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, transition_message(err))
    else:
        messages.success(request, _("Dispatched."))
    return redirect("workorders:ticket", pk=pk)


@require_POST
@staff_view("workorders.dispatch")
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    the_ticket = fetch(wo_access.ticket_for_user, user, pk)
    form = OverrideForm(request.POST, engineers=_engineers(user))
    if form.is_valid():
        try:
            dispatching.ticket_assign_override(
                ticket=the_ticket,
                engineer=form.cleaned_data["engineer_id"],
                by=user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Assigned."))
            return redirect("workorders:ticket", pk=pk)
    return _render_ticket(request, the_ticket, override_form=form, status=422)


@require_POST
@staff_view("workorders.dispatch")
def backlog(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        plan = dispatching.backlog_redispatch(org=access.org_id(user), by=user)
    except DomainError as err:
        messages.error(request, localized_message(err))
    else:
        assigned = sum(1 for p in plan if p["engineer_id"])
        messages.success(
            request,
            _("Re-dispatched %(n)s work orders; %(a)s offered to an engineer.")
            % {"n": len(plan), "a": assigned},
        )
    return redirect("workorders:board")


@require_POST
@staff_view("workorders.view")
def ticket_transition(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    user: Any = request.user
    the_ticket = fetch(wo_access.ticket_for_user, user, pk)
    form = NoteForm(request.POST, request.FILES)
    form.is_valid()
    try:
        services.ticket_transition(
            ticket=the_ticket,
            to=to,
            note=form.cleaned_data.get("note", ""),
            photos=form.cleaned_data.get("photos") or None,
            by=user,
        )
    except DomainError as err:
        messages.error(request, transition_message(err))
    else:
        messages.success(request, _("Status updated."))
    if access.can(user, "workorders.work") and not wo_access.is_office_user(user):
        return redirect("workorders:my_tasks")
    return redirect("workorders:ticket", pk=pk)


@staff_view("workorders.work")
def my_tasks(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    tasks = selectors.engineer_tasks(user)
    return render(
        request,
        "maintenance/my_tasks.html",
        {
            "offers": [(a, present_ticket(user, a.ticket)) for a in tasks["offers"]],
            "active": [present_ticket(user, t) for t in tasks["active"]],
            "done": [present_ticket(user, t) for t in tasks["done"]],
            "decline_form": DeclineForm(),
            "note_form": NoteForm(),
        },
    )


@require_POST
@staff_view("workorders.work")
def assignment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user: Any = request.user
    assignment = fetch(wo_access.assignment_for_user, user, pk)
    try:
        if action == "accept":
            dispatching.assignment_accept(assignment=assignment, by=user)
            messages.success(request, _("Work order accepted."))
        elif action == "decline":
            form = DeclineForm(request.POST)
            reason = form.data.get("reason", "")
            dispatching.assignment_decline(assignment=assignment, by=user, reason=reason)
            messages.success(request, _("Work order declined."))
        else:
            raise Http404
    except DomainError as err:
        messages.error(request, transition_message(err))
    return redirect("workorders:my_tasks")


@staff_view("workorders.review")
def reviews(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ReviewStatus.OPEN)
    if status not in ReviewStatus.values:
        status = ""
    cases = list(selectors.review_queue(request.user, status=status)[:200])
    return render(
        request,
        "maintenance/reviews.html",
        {"cases": cases, "status": status, "form": ReviewCloseForm()},
    )


@require_POST
@staff_view("workorders.review")
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = fetch(wo_access.review_case_for_user, request.user, pk)
    form = ReviewCloseForm(request.POST)
    form.is_valid()
    try:
        services.review_case_close(
            case=case,
            root_cause=form.cleaned_data.get("root_cause", ""),
            note=form.cleaned_data.get("note", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except DomainError as err:
        messages.error(request, localized_message(err))
    else:
        messages.success(request, _("Review case closed."))
    return redirect("workorders:reviews")


@login_required
def photo(request: HttpRequest, pk: int, size: str = "full") -> HttpResponseBase:
    """A photo of a ticket the caller may see (staff, engineer on the job, the reporter)."""
    the_photo = TicketPhoto.objects.filter(pk=pk).first()
    if the_photo is None:
        raise Http404
    try:
        wo_access.ticket_for_user(request.user, the_photo.ticket_id)
    except NotFound:
        raise Http404 from None
    path = photos.absolute(the_photo.thumb_path if size == "thumb" else the_photo.file_path)
    if not path.exists():
        raise Http404
    content_type = "image/jpeg" if size == "thumb" else the_photo.content_type
    return FileResponse(path.open("rb"), content_type=content_type)


# Tenant --------------------------------------------------------------------------------------


def _tenant_units(user: Any) -> list[tuple[int, str]]:
    rows = (
        Lease.objects.filter(organization_id=user.organization_id, customer_id=user.customer_id)
        .exclude(status="void")
        .order_by("unit_id")
        .values_list("unit_id", "building__name", "unit__code")
        .distinct()
    )
    return [(pk, f"{building} {code}") for pk, building, code in rows]


@tenant_page
def my_tickets(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = TenantReportForm(request.POST or None, request.FILES or None, units=_tenant_units(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.ticket_create(
                organization_id=access.org_id(user),
                unit_id=data["unit_id"],
                category_code=data["category_code"],
                description=data["description"],
                channel=Channel.PORTAL,
                urgency=data["urgency"],
                photos=data["photos"],
                by=user,
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(
                request, _("Repair request %(number)s received.") % {"number": created.number}
            )
            return redirect("workorders:track", pk=created.pk)
    tickets = [
        present_ticket(user, t)
        for t in wo_access.tickets_for_user(user)
        .select_related("category", "unit", "building", "assigned_engineer", "repeat_of")
        .order_by("-reported_at", "-id")[:50]
    ]
    return render(
        request,
        "maintenance/my_tickets.html",
        {"form": form, "tickets": tickets},
        status=422 if form.errors else 200,
    )


def _render_track(
    request: HttpRequest,
    the_ticket: Any,
    *,
    rating_form: RatingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    detail = present_ticket_detail(user, the_ticket)
    can_rate = detail["rating"] is None and the_ticket.status in (S.COMPLETED, S.VERIFIED)
    return render(
        request,
        "maintenance/track.html",
        {
            "t": detail,
            "steps": _steps(detail),
            "rating_form": rating_form or RatingForm(),
            "can_rate": can_rate,
            "can_cancel": the_ticket.status in (S.ACCEPTED, S.DISPATCHING),
            "can_reopen": the_ticket.status in (S.COMPLETED, S.VERIFIED),
        },
        status=status,
    )


def _steps(detail: dict[str, Any]) -> list[dict[str, Any]]:
    order = [S.ACCEPTED, S.DISPATCHING, S.ENGINEER_ACCEPTED, S.ON_SITE, S.COMPLETED, S.VERIFIED]
    reached: dict[str, Any] = {}
    for event in detail["timeline"]:
        if event["to_status"]:
            reached[event["to_status"]] = event["at"]
    current = detail["status"]
    index = order.index(current) if current in order else -1
    return [
        {
            "status": s,
            "label": str(S(s).label),
            "at": reached.get(s),
            "done": i <= index,
            "current": s == current,
        }
        for i, s in enumerate(order)
    ]


@tenant_page
def track(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_track(request, wo_access.ticket_for_user(request.user, pk))


@require_POST
@tenant_page
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    the_ticket = wo_access.ticket_for_user(user, pk)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.rating_submit(
                ticket=the_ticket,
                score=form.cleaned_data["score"],
                tags=form.cleaned_data["tags"],
                comment=form.cleaned_data["comment"],
                by=user,
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("workorders:track", pk=pk)
    return _render_track(request, the_ticket, rating_form=form, status=422)


@require_POST
@tenant_page
def tenant_transition(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    user: Any = request.user
    the_ticket = wo_access.ticket_for_user(user, pk)
    if to not in (S.CANCELLED, S.REOPENED, S.VERIFIED):
        raise Http404
    try:
        services.ticket_transition(
            ticket=the_ticket, to=to, note=request.POST.get("note", ""), by=user
        )
    except DomainError as err:
        messages.error(request, transition_message(err))
    else:
        messages.success(request, _("Status updated."))
    return redirect("workorders:track", pk=pk)


# Engineer profiles ---------------------------------------------------------------------------


@staff_view("workorders.dispatch")
def engineers(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    staff = (
        User.objects.filter(
            organization_id=user.organization_id, is_active=True, role_grants__role="engineer"
        )
        .select_related("engineer_profile")
        .order_by("username")
        .distinct()
    )
    rows = [(u, getattr(u, "engineer_profile", None)) for u in staff]
    return render(request, "maintenance/engineers.html", {"rows": rows})


@staff_view("workorders.dispatch")
def engineer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    engineer = User.objects.filter(
        pk=pk, organization_id=user.organization_id, role_grants__role="engineer"
    ).first()
    if engineer is None:
        raise Http404
    profile = EngineerProfile.objects.filter(user=engineer).first()
    initial: dict[str, Any] = {}
    if profile is not None:
        initial = {
            "skills": profile.skills,
            "project_ids": profile.project_ids,
            "building_ids": profile.building_ids,
            "shifts": profile.shifts,
            "base_lat": profile.base_lat,
            "base_lng": profile.base_lng,
            "capacity": profile.capacity,
            "is_active": profile.is_active,
        }
    projects = list(
        portfolio_access.projects_for_user(user).order_by("code", "id").values_list("id", "name")
    )
    buildings = [
        (b_id, f"{project} · {name}")
        for b_id, project, name in portfolio_access.buildings_for_user(user)
        .order_by("project__code", "code", "id")
        .values_list("id", "project__name", "name")
    ]
    form = EngineerProfileForm(
        request.POST or None, initial=initial, projects=projects, buildings=buildings
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispatching.engineer_profile_save(
                user=engineer,
                by=user,
                skills=list(data["skills"]),
                project_ids=data["project_ids"],
                building_ids=data["building_ids"],
                shifts=data["shifts"] or {},
                base_lat=data["base_lat"],
                base_lng=data["base_lng"],
                capacity=data["capacity"],
                is_active=data["is_active"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Engineer profile saved."))
            return redirect("workorders:engineers")
    return render(
        request,
        "maintenance/engineer_form.html",
        {"form": form, "engineer": engineer},
        status=422 if form.errors else 200,
    )
