"""REST endpoints of the contract lifecycle board (``/api/v1/contract-board``) and contract
search (``/api/v1/contract-search``). Handlers are thin: objects come from
:mod:`~anzu.contracts.search.access`, writes go through :mod:`~anzu.contracts.search.services`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from anzu.common import clock
from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.contracts.search import access as search_access
from anzu.contracts.search import engine, indexing, selectors, services
from anzu.contracts.search.presenters import present_renewal
from anzu.contracts.search.schemas import (
    BoardOut,
    BoardQuery,
    CalendarTokenOut,
    ContractRowOut,
    RenewalIn,
    RenewalOut,
    SearchPageOut,
    SearchQuery,
)
from anzu.core import access

router = Router(tags=["Contract lifecycle board and search"])


@router.get("/contract-board", response={200: BoardOut, **ERRORS})
def board(request: HttpRequest, query: Query[BoardQuery]) -> Any:
    """Counts and shares per bucket of the contracts in the caller's scope."""
    return selectors.board(caller(request), today=clock.today(), project_id=query.project_id)


@router.get("/contract-board/buckets/{bucket}", response={200: PageOut[ContractRowOut], **ERRORS})
def bucket_list(
    request: HttpRequest, bucket: str, query: Query[BoardQuery], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    today = clock.today()
    qs = selectors.bucket_queryset(user, bucket, today=today, project_id=query.project_id)
    page = page_of(selectors.rows_of(qs), params=paging)
    page["items"] = selectors.present_rows(user, page["items"], today=today)
    return page


@router.put(
    "/contract-board/contracts/{int:contract_id}/renewal", response={200: RenewalOut, **ERRORS}
)
def renewal_mark(request: HttpRequest, contract_id: int, payload: RenewalIn) -> Any:
    user = caller(request)
    contract = search_access.contract_for_user(user, contract_id)
    renewal = services.renewal_mark(
        contract=contract,
        state=payload.state,
        note=payload.note,
        expected_version=payload.version,
        by=user,
    )
    return present_renewal(renewal, contract)


@router.post(
    "/contract-board/contracts/{int:contract_id}/renewal-lease",
    response={201: RenewalOut, **ERRORS},
)
def renewal_draft_lease(request: HttpRequest, contract_id: int) -> Any:
    """Draft the renewal lease (next term pre-filled from the linked lease) and link it."""
    user = caller(request)
    contract = search_access.contract_for_user(user, contract_id)
    renewal = services.renewal_draft_lease(contract=contract, by=user)
    return Status(201, present_renewal(renewal, contract))


@router.post("/contract-board/calendar-token", response={201: CalendarTokenOut, **ERRORS})
def calendar_token_issue(request: HttpRequest) -> Any:
    """A new personal iCalendar feed URL (shown once; the previous one stops working)."""
    token = services.calendar_token_issue(by=caller(request))
    url = request.build_absolute_uri(reverse("contract_board:feed", kwargs={"token": token}))
    return Status(201, {"token": token, "url": url})


@router.delete("/contract-board/calendar-token", response={204: None, **ERRORS})
def calendar_token_revoke(request: HttpRequest) -> Any:
    services.calendar_token_revoke(by=caller(request))
    return Status(204, None)


@router.get("/contract-search", response={200: SearchPageOut, **ERRORS})
def search(request: HttpRequest, query: Query[SearchQuery]) -> Any:
    """Fuzzy search over key fields (and the full text with ``contract.full``), with filters."""
    user = caller(request)
    search_access.require_view(user)
    indexing.index_stale(access.org_id(user))
    result = engine.search(
        user,
        query=query.q,
        filters=engine.Filters(
            project_id=query.project_id,
            status=query.status,
            risk_level=query.risk_level,
            rent_min=query.rent_min,
            rent_max=query.rent_max,
            expiring_within_days=query.expiring_within_days,
        ),
        page=query.page,
        page_size=query.page_size,
    )
    return {
        "items": selectors.search_items(user, result, today=clock.today()),
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
        "total_capped": result.total_capped,
        "terms": result.terms,
    }
