"""REST endpoints of the settlement app, mounted at /api/v1 by anzu/api.py.

Handlers are thin: the capability first (403), then the case through the access helpers
(404 outside organization or scope), writes through the services, bodies through presenters.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from anzu.billing.settlement import access as settlement_access
from anzu.billing.settlement import selectors, services
from anzu.billing.settlement.presenters import present_case
from anzu.billing.settlement.schemas import (
    CaseDetailOut,
    CaseFiltersIn,
    CaseOut,
    CloseIn,
    InspectionIn,
    OpenIn,
    ReasonIn,
    VersionIn,
)
from anzu.common import clock
from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import NotFound, ValidationFailed
from anzu.core import access
from anzu.core.models import User
from anzu.documents.services import document_content
from anzu.risk.approvals.schemas import ACCEPTED
from anzu.risk.approvals.web import accepted, is_request

router = Router(tags=["Settlement"])


def _manager(request: HttpRequest) -> User:
    user = caller(request)
    access.require(user, "settlement.manage")
    return user


def _detail(user: User, pk: int) -> dict[str, Any]:
    return present_case(user, settlement_access.case_for_user(user, pk), detail=True)


@router.get("/settlements", response={200: PageOut[CaseOut], **ERRORS})
def case_list(
    request: HttpRequest, filters: Query[CaseFiltersIn], paging: Query[PageParams]
) -> Any:
    user = _manager(request)
    qs = selectors.case_search(
        settlement_access.cases_for_user(user).select_related(
            "lease",
            "lease__customer",
            "lease__building",
            "lease__unit",
            "prepared_by",
            "approved_by",
        ),
        selectors.CaseFilters(
            status=filters.status or "", source=filters.source or "", lease_id=filters.lease_id
        ),
    )
    return page_of(qs, params=paging, present=lambda c: present_case(user, c))


@router.post("/settlements", response={200: CaseDetailOut, 201: CaseDetailOut, **ERRORS})
def case_open(request: HttpRequest, payload: OpenIn) -> Any:
    user = _manager(request)
    try:
        lease = settlement_access.lease_for_settlement(user, payload.lease_id)
    except NotFound:
        raise ValidationFailed("not_found", "Unknown lease.", field="lease_id") from None
    case, created = services.settlement_open_or_get(
        lease=lease, by=user, reason=payload.reason, move_out_date=payload.move_out_date
    )
    return Status(201 if created else 200, _detail(user, case.pk))


@router.get("/settlements/credit-report.csv", response={200: None, **ACCEPTED, **ERRORS})
def credit_report(request: HttpRequest) -> Any:
    """Guarded: answers 202 with the approval request; once approved, the maker downloads the
    file from ``/approvals/{id}/download``."""
    user = _manager(request)
    result = services.credit_report_export(by=user)
    if is_request(result):
        return accepted(user, result)
    response = HttpResponse(result, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="credit-report-{clock.today():%Y%m%d}.csv"'
    )
    return response


@router.get("/settlements/{int:case_id}", response={200: CaseDetailOut, **ERRORS})
def case_detail(request: HttpRequest, case_id: int) -> Any:
    user = _manager(request)
    return _detail(user, case_id)


@router.get("/settlements/{int:case_id}/statement.pdf", response={200: None, **ERRORS})
def case_statement_pdf(request: HttpRequest, case_id: int) -> Any:
    user = _manager(request)
    case = settlement_access.case_for_user(user, case_id)
    if case.statement_document is None:
        raise NotFound("statement")
    response = HttpResponse(
        document_content(case.statement_document), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="settlement-{case.pk}.pdf"'
    return response


@router.put("/settlements/{int:case_id}/inspection", response={200: CaseDetailOut, **ERRORS})
def case_inspect(request: HttpRequest, case_id: int, payload: InspectionIn) -> Any:
    user = _manager(request)
    case = settlement_access.case_for_user(user, case_id)
    move_out: Any = services.UNCHANGED
    if "move_out_date" in payload.model_fields_set:
        move_out = payload.move_out_date
    services.settlement_inspect(
        case=case,
        by=user,
        items=[i.model_dump() for i in payload.items],
        move_out_date=move_out,
        expected_version=payload.version,
    )
    return _detail(user, case_id)


@router.post("/settlements/{int:case_id}/prepare", response={200: CaseDetailOut, **ERRORS})
def case_prepare(request: HttpRequest, case_id: int, payload: VersionIn) -> Any:
    user = _manager(request)
    case = settlement_access.case_for_user(user, case_id)
    services.settlement_prepare(case=case, by=user, expected_version=payload.version)
    return _detail(user, case_id)


@router.post("/settlements/{int:case_id}/approve", response={200: CaseDetailOut, **ERRORS})
def case_approve(request: HttpRequest, case_id: int, payload: VersionIn) -> Any:
    user = _manager(request)
    case = settlement_access.case_for_user(user, case_id)
    services.settlement_approve(case=case, by=user, expected_version=payload.version)
    return _detail(user, case_id)


@router.post("/settlements/{int:case_id}/reject", response={200: CaseDetailOut, **ERRORS})
def case_reject(request: HttpRequest, case_id: int, payload: ReasonIn) -> Any:
    user = _manager(request)
    case = settlement_access.case_for_user(user, case_id)
    services.settlement_reject(
        case=case, by=user, reason=payload.reason, expected_version=payload.version
    )
    return _detail(user, case_id)


@router.post("/settlements/{int:case_id}/close", response={200: CaseDetailOut, **ERRORS})
def case_close(request: HttpRequest, case_id: int, payload: CloseIn) -> Any:
    user = _manager(request)
    case = settlement_access.case_for_user(user, case_id)
    services.settlement_close(
        case=case,
        by=user,
        refund_channel=payload.refund_channel,
        refund_reference=payload.refund_reference,
        expected_version=payload.version,
    )
    return _detail(user, case_id)


@router.post("/settlements/{int:case_id}/cancel", response={200: CaseDetailOut, **ERRORS})
def case_cancel(request: HttpRequest, case_id: int, payload: ReasonIn) -> Any:
    user = _manager(request)
    case = settlement_access.case_for_user(user, case_id)
    services.settlement_cancel(
        case=case, by=user, reason=payload.reason, expected_version=payload.version
    )
    return _detail(user, case_id)
