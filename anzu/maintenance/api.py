"""REST endpoints of the maintenance app, mounted at /api/v1 by anzu/api.py.

Handlers are thin: objects come from :mod:`anzu.maintenance.access`, writes go through the
services, responses through the presenters.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import PermissionDenied
from anzu.core import access
from anzu.maintenance import access as wo_access
from anzu.maintenance import dispatching, selectors, services
from anzu.maintenance.choices import Channel
from anzu.maintenance.models import Assignment, ReviewCase
from anzu.maintenance.presenters import present_photo, present_ticket, present_ticket_detail
from anzu.maintenance.schemas import (
    AssignIn,
    AssignmentResultOut,
    BacklogOut,
    DeclineIn,
    PhotoOut,
    RatingIn,
    RatingOut,
    ReviewCaseOut,
    ReviewCloseIn,
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
