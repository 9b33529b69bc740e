"""REST endpoints of the account lifecycle: the HR offboarding webhook, accounts, freeze and
reactivation (``/api/v1``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.core import access
from anzu.risk.identity import hr, selectors, services
from anzu.risk.identity.access import account_for_user, accounts_for_user
from anzu.risk.identity.choices import Source
from anzu.risk.identity.schemas import (
    AccountEventOut,
    AccountFilters,
    AccountOut,
    HrResultOut,
    ProfileIn,
    ReactivatedOut,
    ReasonIn,
)

router = Router(tags=["account lifecycle"])


def _row(user_id: int) -> dict[str, Any]:
    from anzu.core.models import User

    user = selectors.with_last_activity(
        User.objects.filter(pk=user_id).select_related("account_state")
    ).get()
    return selectors.account_row(user)


@router.post(
    "/hr/offboarding",
    auth=None,
    response={200: HrResultOut, 202: HrResultOut, **ERRORS, 503: ERRORS[401]},
)
def hr_offboarding(request: HttpRequest) -> Any:
    """Signed HR offboarding delivery (``X-Anzu-Timestamp``, ``X-Anzu-Signature``)."""
    result = hr.hr_offboarding_receive(
        body=request.body,
        timestamp=request.headers.get("X-Anzu-Timestamp", ""),
        sig=request.headers.get("X-Anzu-Signature", ""),
    )
    return Status(202 if result["status"] == "scheduled" else 200, result)


@router.get("/accounts", response={200: PageOut[AccountOut], **ERRORS})
def account_list(
    request: HttpRequest, filters: Query[AccountFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    accounts_for_user(user)
    qs = selectors.accounts_overview(access.org_id(user), status=filters.status)
    return page_of(qs, params=paging, present=selectors.account_row)


@router.get("/accounts/{int:account_id}", response={200: AccountOut, **ERRORS})
def account_detail(request: HttpRequest, account_id: int) -> Any:
    account = account_for_user(caller(request), account_id)
    return _row(account.pk)


@router.get("/accounts/{int:account_id}/events", response={200: PageOut[AccountEventOut], **ERRORS})
def account_event_list(request: HttpRequest, account_id: int, paging: Query[PageParams]) -> Any:
    account = account_for_user(caller(request), account_id)
    return page_of(selectors.account_events(account), params=paging)


@router.post("/accounts/{int:account_id}/freeze", response={200: AccountOut, **ERRORS})
def account_freeze(request: HttpRequest, account_id: int, payload: ReasonIn) -> Any:
    """Freeze at once; freezing a frozen account changes nothing and answers its state."""
    by = caller(request)
    account = account_for_user(by, account_id)
    services.account_freeze(user=account, reason=payload.reason, source=Source.MANUAL, by=by)
    return _row(account.pk)


@router.post("/accounts/{int:account_id}/reactivate", response={200: ReactivatedOut, **ERRORS})
def account_reactivate(request: HttpRequest, account_id: int, payload: ReasonIn) -> Any:
    """Active again with a forced password reset; answers the one-time reset link."""
    by = caller(request)
    account = account_for_user(by, account_id)
    state, raw = services.account_reactivate(user=account, by=by, reason=payload.reason)
    path = reverse("identity:password_reset", kwargs={"token": raw})
    return {
        "account": _row(account.pk),
        "reset_token": raw,
        "reset_url": request.build_absolute_uri(path),
        "reset_expires_at": state.reset_expires_at,
    }


@router.put("/accounts/{int:account_id}/profile", response={200: AccountOut, **ERRORS})
def account_profile(request: HttpRequest, account_id: int, payload: ProfileIn) -> Any:
    by = caller(request)
    account = account_for_user(by, account_id)
    services.account_profile_update(
        user=account,
        by=by,
        employee_id=payload.employee_id,
        service_account=payload.service_account,
    )
    return _row(account.pk)
