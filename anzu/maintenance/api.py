"""REST endpoints of the maintenance app, mounted at /api/v1 by anzu/api.py.

Handlers are thin: objects come from :mod:`anzu.maintenance.access`, writes go through the
services, responses through the presenters.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from anzu.common import clock
from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import PermissionDenied, ValidationFailed
from anzu.core import access
from anzu.maintenance import access as wo_access
from anzu.maintenance import analytics, clocks, dispatching, selectors, services
from anzu.maintenance.categories import DEFAULT_CATEGORIES
from anzu.maintenance.choices import Channel
from anzu.maintenance.models import Assignment, BusinessCalendar, ReviewCase, SlaPolicy
from anzu.maintenance.presenters import (
    present_calendar,
    present_photo,
    present_sla_policy,
    present_ticket,
    present_ticket_detail,
)
from anzu.maintenance.schemas import (
    AssignIn,
    AssignmentResultOut,
    BacklogOut,
    CalendarIn,
    CalendarOut,
    CalendarPatchIn,
    DeclineIn,
    PhotoOut,
    RatingIn,
    RatingOut,
    ReviewCaseOut,
    ReviewCloseIn,
    SlaPolicyIn,
    SlaPolicyOut,
    SlaPolicyPatchIn,
    TicketDetailOut,
    TicketFiltersIn,
    TicketIn,
    TicketOut,
    TransitionIn,
)

router = Router(tags=["Work orders"])


def _detail(user: Any, ticket_id: int) -> dict[str, Any]:
    return present_ticket_detail(user, wo_access.ticket_for_user(user, ticket_id))


def _assignment_out(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "ticket_id": a.ticket_id,
        "engineer_id": a.engineer_id,
        "status": a.status,
        "method": a.method,
        "reason": a.reason,
    }


def _review_out(case: ReviewCase) -> dict[str, Any]:
    rating = case.rating
    return {
        "id": case.pk,
        "ticket_id": case.ticket_id,
        "ticket_number": case.ticket.number,
        "score": rating.score if rating else None,
        "tags": rating.tags if rating else [],
        "comment": rating.comment if rating else "",
        "status": case.status,
        "root_cause": case.root_cause,
        "note": case.note,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "closed_by": case.closed_by.label if case.closed_by_id and case.closed_by else None,
    }


@router.post("/workorders", response={201: TicketDetailOut, **ERRORS})
def ticket_create(request: HttpRequest, payload: TicketIn) -> Any:
    """Staff phone intake (``workorders.intake``) or a tenant's report (portal/mini-program)."""
    user = caller(request)
    data = payload.model_dump()
    if access.is_tenant_user(user):
        channel = Channel.PORTAL
        data["reporter_customer_id"] = user.customer_id
    elif access.can(user, "workorders.intake"):
        channel = data.get("channel") or Channel.PHONE
    else:
        raise PermissionDenied()
    data.pop("channel", None)
    ticket = services.ticket_create(
        organization_id=access.org_id(user), channel=channel, by=user, **data
    )
    return Status(201, _detail(user, ticket.pk))


@router.get("/workorders", response={200: PageOut[TicketOut], **ERRORS})
def ticket_list(
    request: HttpRequest, filters: Query[TicketFiltersIn], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = selectors.ticket_search(
        user,
        selectors.TicketFilters(
            status=filters.status or "",
            project_id=filters.project_id,
            building_id=filters.building_id,
            unit_id=filters.unit_id,
            category=filters.category or "",
            urgency=filters.urgency or "",
            engineer_id=filters.engineer_id,
            number=filters.number or "",
        ),
    )
    return page_of(qs, params=paging, present=lambda t: present_ticket(user, t))


@router.get("/workorders/{int:ticket_id}", response={200: TicketDetailOut, **ERRORS})
def ticket_detail(request: HttpRequest, ticket_id: int) -> Any:
    return _detail(caller(request), ticket_id)


@router.post("/workorders/{int:ticket_id}/transition", response={200: TicketDetailOut, **ERRORS})
def ticket_transition(request: HttpRequest, ticket_id: int, payload: TransitionIn) -> Any:
    user = caller(request)
    ticket = wo_access.ticket_for_user(user, ticket_id)
    services.ticket_transition(ticket=ticket, to=payload.to, note=payload.note, by=user)
    return _detail(user, ticket_id)


@router.post("/workorders/{int:ticket_id}/photos", response={201: list[PhotoOut], **ERRORS})
def ticket_photos_add(
    request: HttpRequest, ticket_id: int, photos: File[list[UploadedFile]]
) -> Any:
    """Attach photos (multipart, field ``photos``): fault photos by the reporter or staff,
    completion photos by the engineer on site."""
    user = caller(request)
    ticket = wo_access.ticket_for_user(user, ticket_id)
    rows = services.ticket_photos_add(ticket=ticket, photos=list(photos), by=user)
    return Status(201, [present_photo(p) for p in rows])


@router.post("/workorders/{int:ticket_id}/dispatch", response={200: TicketDetailOut, **ERRORS})
def ticket_dispatch(request: HttpRequest, ticket_id: int) -> Any:
    user = caller(request)
    ticket = wo_access.ticket_for_user(user, ticket_id)
    dispatching.ticket_dispatch(ticket=ticket, by=user)
    return _detail(user, ticket_id)


@router.post("/workorders/{int:ticket_id}/assign", response={200: TicketDetailOut, **ERRORS})
def ticket_assign(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Any:
    user = caller(request)
    ticket = wo_access.ticket_for_user(user, ticket_id)
    dispatching.ticket_assign_override(
        ticket=ticket, engineer=payload.engineer_id, by=user, reason=payload.reason
    )
    return _detail(user, ticket_id)


@router.post("/workorders/backlog/redispatch", response={200: BacklogOut, **ERRORS})
def backlog_redispatch(request: HttpRequest) -> Any:
    user = caller(request)
    access.require(user, "workorders.dispatch")
    return {"assigned": dispatching.backlog_redispatch(org=access.org_id(user), by=user)}


@router.post(
    "/assignments/{int:assignment_id}/accept", response={200: AssignmentResultOut, **ERRORS}
)
def assignment_accept(request: HttpRequest, assignment_id: int) -> Any:
    user = caller(request)
    assignment = wo_access.assignment_for_user(user, assignment_id)
    return _assignment_out(dispatching.assignment_accept(assignment=assignment, by=user))


@router.post(
    "/assignments/{int:assignment_id}/decline", response={200: AssignmentResultOut, **ERRORS}
)
def assignment_decline(request: HttpRequest, assignment_id: int, payload: DeclineIn) -> Any:
    user = caller(request)
    assignment = wo_access.assignment_for_user(user, assignment_id)
    return _assignment_out(
        dispatching.assignment_decline(assignment=assignment, by=user, reason=payload.reason)
    )


@router.post("/workorders/{int:ticket_id}/rating", response={201: RatingOut, **ERRORS})
def ticket_rate(request: HttpRequest, ticket_id: int, payload: RatingIn) -> Any:
    user = caller(request)
    ticket = wo_access.ticket_for_user(user, ticket_id)
    rating = services.rating_submit(
        ticket=ticket, score=payload.score, tags=payload.tags, comment=payload.comment, by=user
    )
    return Status(
        201,
        {"score": rating.score, "tags": rating.tags, "comment": rating.comment, "at": rating.at},
    )


@router.get("/review-cases", response={200: PageOut[ReviewCaseOut], **ERRORS})
def review_case_list(request: HttpRequest, paging: Query[PageParams], status: str = "open") -> Any:
    user = caller(request)
    access.require(user, "workorders.review")
    return page_of(selectors.review_queue(user, status=status), params=paging, present=_review_out)


@router.post("/review-cases/{int:case_id}/close", response={200: ReviewCaseOut, **ERRORS})
def review_case_close(request: HttpRequest, case_id: int, payload: ReviewCloseIn) -> Any:
    user = caller(request)
    case = wo_access.review_case_for_user(user, case_id)
    closed = services.review_case_close(
        case=case, root_cause=payload.root_cause, note=payload.note, by=user
    )
    return _review_out(wo_access.review_case_for_user(user, closed.pk))


# Analytics (``workorders.analytics``) ----------------------------------------------------------


def _analytics_scope(user: Any) -> Any:
    return access.scope_of(user).q(project="project_id", building="building_id")


def _analytics_month(value: str | None, field: str, default: Any) -> Any:

    if not value:
        return default
    try:
        return analytics.parse_month(value)
    except ValueError:
        raise ValidationFailed(
            "invalid_month", "expected a month as YYYY-MM", field=field
        ) from None


def _analytics_filters(project: int | None, category: str | None, engineer: int | None) -> Any:

    tops = {code for code, _name, parent, _skill in DEFAULT_CATEGORIES if parent is None}
    if category and category not in tops:
        raise ValidationFailed(
            "unknown_category", "not a top-level category code", field="category"
        )
    return analytics.Filters(project_id=project, category=category or "", engineer_id=engineer)


@router.get("/workorders/metrics", response={200: dict[str, Any], **ERRORS})
def workorder_metrics(
    request: HttpRequest,
    month: str | None = None,
    compare_to: str | None = None,
    project: int | None = None,
    category: str | None = None,
    engineer: int | None = None,
) -> Any:
    """Metrics of ``month`` (default: this month) and, with ``compare_to``, the comparison
    rows ``metric | a (compare_to) | b (month) | change``."""

    user = caller(request)
    access.require(user, "workorders.analytics")
    month_b = _analytics_month(month, "month", clock.today().replace(day=1))
    month_a = _analytics_month(compare_to, "compare_to", None)
    filters = _analytics_filters(project, category, engineer)
    org, scope = access.org_id(user), _analytics_scope(user)
    b = analytics.month_metrics(org, month_b, filters=filters, scope=scope)
    if month_a is None:
        return {"metrics": b, "compare_to": None, "comparison": []}
    a = analytics.month_metrics(org, month_a, filters=filters, scope=scope)
    return {"metrics": b, "compare_to": a, "comparison": analytics.compare(a, b)}


@router.get("/workorders/heatmap", response={200: dict[str, Any], **ERRORS})
def workorder_heatmap(
    request: HttpRequest,
    start: str | None = None,
    end: str | None = None,
    project: int | None = None,
    category: str | None = None,
    engineer: int | None = None,
) -> Any:
    """Work orders per building × top-level category × month, months ``start``..``end``."""

    user = caller(request)
    access.require(user, "workorders.analytics")
    last = _analytics_month(end, "end", clock.today().replace(day=1))
    first = _analytics_month(start, "start", analytics.add_months(last, -5))
    if first > last or analytics.add_months(first, 24) <= last:
        raise ValidationFailed("invalid_range", "1 to 24 months, start ≤ end", field="start")
    filters = _analytics_filters(project, category, engineer)
    return analytics.heatmap(
        access.org_id(user), first, last, filters=filters, scope=_analytics_scope(user)
    )


@router.get("/workorders/defective-batches", response={200: dict[str, Any], **ERRORS})
def workorder_defective_batches(
    request: HttpRequest, start: str | None = None, end: str | None = None
) -> Any:
    """Equipment batches tested against their fleet over months ``start``..``end``."""

    user = caller(request)
    access.require(user, "workorders.analytics")
    today = clock.today()
    last = _analytics_month(end, "end", today.replace(day=1))
    first = _analytics_month(start, "start", analytics.add_months(last, -11))
    if first > last:
        raise ValidationFailed("invalid_range", "start must not be after end", field="start")
    period_end = min(analytics.month_end(last), today)
    items = analytics.defective_batches(
        access.org_id(user),
        first,
        period_end,
        scope=access.scope_of(user).q(project="building__project_id", building="building_id"),
    )
    return {"start": first.isoformat(), "end": period_end.isoformat(), "items": items}


# SLA policies and business calendars (read: ``workorders.dispatch``; write: ``workorders.review``)


@router.get("/workorders/sla-policies", response={200: PageOut[SlaPolicyOut], **ERRORS})
def sla_policy_list(
    request: HttpRequest, paging: Query[PageParams], include_retired: bool = False
) -> Any:
    """The organization's SLA policies (current ones; ``include_retired`` adds retired ones)."""
    user = caller(request)
    access.require(user, "workorders.dispatch")
    clocks.sla_ensure_default(access.org_id(user))
    qs = SlaPolicy.objects.filter(organization_id=access.org_id(user)).select_related(
        "category", "calendar"
    )
    if not include_retired:
        qs = qs.filter(is_active=True)
    qs = qs.order_by("-is_active", "category__code", "urgency", "id")
    return page_of(qs, params=paging, present=present_sla_policy)


@router.get("/workorders/sla-policies/{int:policy_id}", response={200: SlaPolicyOut, **ERRORS})
def sla_policy_detail(request: HttpRequest, policy_id: int) -> Any:
    return present_sla_policy(wo_access.sla_policy_for_user(caller(request), policy_id))


@router.post("/workorders/sla-policies", response={201: SlaPolicyOut, **ERRORS})
def sla_policy_create(request: HttpRequest, payload: SlaPolicyIn) -> Any:
    """A policy for a category code (``null`` = any) × urgency (``""`` = any)."""
    user = caller(request)
    access.require(user, "workorders.dispatch")
    policy = clocks.sla_policy_create(
        organization_id=access.org_id(user), by=user, **payload.model_dump()
    )
    return Status(201, present_sla_policy(wo_access.sla_policy_for_user(user, policy.pk)))


@router.patch("/workorders/sla-policies/{int:policy_id}", response={200: SlaPolicyOut, **ERRORS})
def sla_policy_update(request: HttpRequest, policy_id: int, payload: SlaPolicyPatchIn) -> Any:
    """Change targets, calendar or pause states: a new version; clocks are recomputed."""
    user = caller(request)
    policy = wo_access.sla_policy_for_user(user, policy_id)
    clocks.sla_policy_update(
        policy=policy, by=user, now=clock.now(), **payload.model_dump(exclude_unset=True)
    )
    return present_sla_policy(wo_access.sla_policy_for_user(user, policy_id))


@router.post(
    "/workorders/sla-policies/{int:policy_id}/retire", response={200: SlaPolicyOut, **ERRORS}
)
def sla_policy_retire(request: HttpRequest, policy_id: int) -> Any:
    user = caller(request)
    policy = wo_access.sla_policy_for_user(user, policy_id)
    clocks.sla_policy_retire(policy=policy, by=user)
    return present_sla_policy(wo_access.sla_policy_for_user(user, policy_id))


@router.get("/workorders/business-calendars", response={200: PageOut[CalendarOut], **ERRORS})
def calendar_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "workorders.dispatch")
    clocks.sla_ensure_default(access.org_id(user))
    qs = BusinessCalendar.objects.filter(organization_id=access.org_id(user)).order_by("name", "id")
    return page_of(qs, params=paging, present=present_calendar)


@router.get(
    "/workorders/business-calendars/{int:calendar_id}", response={200: CalendarOut, **ERRORS}
)
def calendar_detail(request: HttpRequest, calendar_id: int) -> Any:
    return present_calendar(wo_access.calendar_for_user(caller(request), calendar_id))


@router.post("/workorders/business-calendars", response={201: CalendarOut, **ERRORS})
def calendar_create(request: HttpRequest, payload: CalendarIn) -> Any:
    user = caller(request)
    access.require(user, "workorders.dispatch")
    calendar = clocks.calendar_create(
        organization_id=access.org_id(user), by=user, **payload.model_dump()
    )
    return Status(201, present_calendar(calendar))


@router.patch(
    "/workorders/business-calendars/{int:calendar_id}", response={200: CalendarOut, **ERRORS}
)
def calendar_update(request: HttpRequest, calendar_id: int, payload: CalendarPatchIn) -> Any:
    """Change a calendar; keys left out keep their value. Clocks are recomputed."""
    user = caller(request)
    calendar = wo_access.calendar_for_user(user, calendar_id)
    data = payload.model_dump(exclude_unset=True)
    clocks.calendar_update(
        calendar=calendar,
        by=user,
        name=data.get("name"),
        always=data.get("always"),
        windows=data["windows"] if data.get("windows") is not None else calendar.windows,
        holidays=data["holidays"] if data.get("holidays") is not None else calendar.holidays,
        workdays=data["workdays"] if data.get("workdays") is not None else calendar.workdays,
        now=clock.now(),
    )
    return present_calendar(wo_access.calendar_for_user(user, calendar_id))


@router.delete("/workorders/business-calendars/{int:calendar_id}", response={204: None, **ERRORS})
def calendar_delete(request: HttpRequest, calendar_id: int) -> Any:
    """Delete a calendar that no policy (current or retired) uses; otherwise 409."""
    user = caller(request)
    calendar = wo_access.calendar_for_user(user, calendar_id)
    clocks.calendar_delete(calendar=calendar, by=user)
    return Status(204, None)
