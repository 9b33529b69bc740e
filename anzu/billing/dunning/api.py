"""REST endpoints of the dunning app, mounted at /api/v1 by anzu/api.py.

Handlers are thin: the capability is checked first (403), objects come from the access
helpers (404 outside the organization or scope), writes go through the services and
responses through the presenters.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from anzu.billing.dunning import access as dunning_access
from anzu.billing.dunning import executor, policies, selectors, services
from anzu.billing.dunning.backtest import policy_backtest
from anzu.billing.dunning.choices import DEFAULT_EXEMPT_TAG, ActionStatus
from anzu.billing.dunning.models import FreezeRequest
from anzu.billing.dunning.presenters import (
    present_action,
    present_call,
    present_case,
    present_freeze,
    present_pause,
    present_policy_version,
    present_promise,
)
from anzu.billing.dunning.run import dunning_run
from anzu.billing.dunning.schemas import (
    ActionFilters,
    ActionOut,
    BacktestIn,
    BacktestOut,
    CallFilters,
    CallOut,
    CallOutcomeIn,
    CaseFilters,
    CasePageOut,
    ExemptionIn,
    ExemptionOut,
    FreezeFilters,
    FreezeOut,
    PauseIn,
    PauseOut,
    PolicyDraftIn,
    PolicyVersionOut,
    PromiseIn,
    PromiseOut,
    ReasonIn,
    RunIn,
    RunOut,
)
from anzu.common import clock
from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import Conflict
from anzu.core import access
from anzu.risk.approvals.schemas import ACCEPTED
from anzu.risk.approvals.web import accepted, is_request

router = Router(tags=["Dunning"])


def _show(user: Any) -> bool:
    return access.sees_amounts(user)


# Board and actions ------------------------------------------------------------------------------


@router.get("/dunning/cases", response={200: CasePageOut, **ERRORS})
def case_list(request: HttpRequest, filters: Query[CaseFilters], paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "dunning.view")
    version = selectors.board_version(access.org_id(user))
    policy = selectors.policy_of(version)
    qs = selectors.cases(user, policy, stage=filters.stage or "", project_id=filters.project_id)
    page = page_of(qs, params=paging)
    show = _show(user)
    page["items"] = [
        present_case(user, row, show=show) for row in selectors.case_rows(policy, page["items"])
    ]
    return {
        "policy_version": version.number,
        "counts": selectors.case_counts(user, policy, project_id=filters.project_id),
        **page,
    }


@router.get("/dunning/actions", response={200: PageOut[ActionOut], **ERRORS})
def action_list(
    request: HttpRequest, filters: Query[ActionFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    access.require(user, "dunning.view")
    qs = selectors.action_search(user, status=filters.status or "", lease_id=filters.lease_id)
    show = _show(user)
    return page_of(qs, params=paging, present=lambda a: present_action(user, a, show=show))


@router.post("/dunning/actions/{int:action_id}/retry", response={200: ActionOut, **ERRORS})
def action_retry(request: HttpRequest, action_id: int) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    action = dunning_access.action_for_user(user, action_id)
    if action.status != ActionStatus.FAILED:
        raise Conflict("not_failed", "Only a failed action can be retried.", field="status")
    executor.action_execute(action_id=action.pk)
    return present_action(user, dunning_access.action_for_user(user, action_id))


@router.post("/dunning/run", response={200: RunOut, **ERRORS})
def run(request: HttpRequest, payload: RunIn) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    return dunning_run(
        on=payload.date or clock.today(),
        dry_run=payload.dry_run,
        organization_id=access.org_id(user),
    )


# Policies -----------------------------------------------------------------------------------------


@router.get("/dunning/policies", response={200: PageOut[PolicyVersionOut], **ERRORS})
def policy_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "dunning.view")
    qs = dunning_access.policy_versions_for_user(user).select_related("created_by", "published_by")
    return page_of(qs, params=paging, present=present_policy_version)


@router.post("/dunning/policies", response={201: PolicyVersionOut, **ERRORS})
def policy_create(request: HttpRequest, payload: PolicyDraftIn | None = None) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    data = payload.model_dump(exclude_unset=True) if payload is not None else {}
    version = policies.policy_draft_create(by=user, data=data or None)
    return Status(201, present_policy_version(version))


@router.get("/dunning/policies/{int:version_id}", response={200: PolicyVersionOut, **ERRORS})
def policy_detail(request: HttpRequest, version_id: int) -> Any:
    user = caller(request)
    access.require(user, "dunning.view")
    return present_policy_version(dunning_access.policy_version_for_user(user, version_id))


@router.put("/dunning/policies/{int:version_id}", response={200: PolicyVersionOut, **ERRORS})
def policy_update(request: HttpRequest, version_id: int, payload: PolicyDraftIn) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    version = dunning_access.policy_version_for_user(user, version_id)
    version = policies.policy_draft_update(
        version=version, by=user, data=payload.model_dump(exclude_unset=True)
    )
    return present_policy_version(version)


@router.post(
    "/dunning/policies/{int:version_id}/publish", response={200: PolicyVersionOut, **ERRORS}
)
def policy_publish(request: HttpRequest, version_id: int) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    version = dunning_access.policy_version_for_user(user, version_id)
    return present_policy_version(policies.policy_publish(version=version, by=user))


@router.post(
    "/dunning/policies/{int:version_id}/backtest",
    response={200: BacktestOut, **ERRORS},
    by_alias=True,
)
def policy_backtest_run(request: HttpRequest, version_id: int, payload: BacktestIn) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    version = dunning_access.policy_version_for_user(user, version_id)
    result = policy_backtest(version=version, start=payload.start, end=payload.end)
    if not _show(user):
        result["sample"] = [{**s, "amount": None} for s in result["sample"]]
    return result


# Calls --------------------------------------------------------------------------------------------


@router.get("/dunning/calls", response={200: PageOut[CallOut], **ERRORS})
def call_list(request: HttpRequest, filters: Query[CallFilters], paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "calls.work")
    qs = selectors.call_queue(user, which=filters.show, status=filters.status or "")
    show = _show(user)
    return page_of(qs, params=paging, present=lambda c: present_call(user, c, show=show))


@router.post("/dunning/calls/{int:call_id}/outcome", response={200: CallOut, **ERRORS})
def call_outcome(request: HttpRequest, call_id: int, payload: CallOutcomeIn) -> Any:
    user = caller(request)
    access.require(user, "calls.work")
    call = dunning_access.call_for_user(user, call_id)
    services.call_complete(call=call, by=user, **payload.model_dump())
    return present_call(user, dunning_access.call_for_user(user, call_id))


# Promises, pauses, exemption ----------------------------------------------------------------------


@router.post("/dunning/leases/{int:lease_id}/promises", response={201: PromiseOut, **ERRORS})
def promise_create(request: HttpRequest, lease_id: int, payload: PromiseIn) -> Any:
    user = caller(request)
    if not dunning_access.can_promise(user):
        access.require(user, "calls.work")
    lease = dunning_access.lease_for_dunning(user, lease_id)
    promise = services.promise_create(lease=lease, by=user, **payload.model_dump())
    state = selectors.promise_state(promise, today=clock.today())
    return Status(201, present_promise(user, promise, state=state))


@router.post("/dunning/leases/{int:lease_id}/pauses", response={201: PauseOut, **ERRORS})
def pause_create(request: HttpRequest, lease_id: int, payload: PauseIn) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    lease = dunning_access.lease_for_dunning(user, lease_id)
    return Status(
        201, present_pause(services.pause_create(lease=lease, by=user, **payload.model_dump()))
    )


@router.post("/dunning/pauses/{int:pause_id}/cancel", response={200: PauseOut, **ERRORS})
def pause_cancel(request: HttpRequest, pause_id: int) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    pause = dunning_access.pause_for_user(user, pause_id)
    return present_pause(services.pause_cancel(pause=pause, by=user))


@router.post(
    "/dunning/customers/{int:customer_id}/exemption", response={200: ExemptionOut, **ERRORS}
)
def exemption(request: HttpRequest, customer_id: int, payload: ExemptionIn) -> Any:
    user = caller(request)
    access.require(user, "dunning.manage")
    customer = dunning_access.customer_for_dunning(user, customer_id)
    customer = services.exemption_set(customer=customer, by=user, **payload.model_dump())
    tags = list(customer.tags or [])
    return {"customer_id": customer.pk, "exempt": DEFAULT_EXEMPT_TAG in tags, "tags": tags}


# Freezes ------------------------------------------------------------------------------------------


@router.get("/dunning/freezes", response={200: PageOut[FreezeOut], **ERRORS})
def freeze_list(
    request: HttpRequest, filters: Query[FreezeFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    access.require(user, "dunning.view")
    qs = selectors.freeze_list(user, status=filters.status or "")
    show = _show(user)
    return page_of(qs, params=paging, present=lambda f: present_freeze(user, f, show=show))


def _decide(request: HttpRequest, freeze_id: int, payload: ReasonIn, *, approve: bool) -> Any:
    user = caller(request)
    access.require(user, "freeze.approve")
    freeze: FreezeRequest = dunning_access.freeze_for_user(user, freeze_id)
    result = services.freeze_decide(freeze=freeze, by=user, approve=approve, reason=payload.reason)
    if is_request(result):  # approving a freeze waits for a second person
        return accepted(user, result)  # type: ignore[arg-type]
    return present_freeze(user, dunning_access.freeze_for_user(user, freeze_id))


@router.post(
    "/dunning/freezes/{int:freeze_id}/approve", response={200: FreezeOut, **ACCEPTED, **ERRORS}
)
def freeze_approve(request: HttpRequest, freeze_id: int, payload: ReasonIn | None = None) -> Any:
    return _decide(request, freeze_id, payload or ReasonIn(), approve=True)


@router.post("/dunning/freezes/{int:freeze_id}/reject", response={200: FreezeOut, **ERRORS})
def freeze_reject(request: HttpRequest, freeze_id: int, payload: ReasonIn) -> Any:
    return _decide(request, freeze_id, payload, approve=False)


@router.post("/dunning/freezes/{int:freeze_id}/lift", response={200: FreezeOut, **ERRORS})
def freeze_lift(request: HttpRequest, freeze_id: int, payload: ReasonIn) -> Any:
    user = caller(request)
    access.require(user, "freeze.approve")
    freeze = dunning_access.freeze_for_user(user, freeze_id)
    services.freeze_lift(freeze=freeze, by=user, reason=payload.reason)
    return present_freeze(user, dunning_access.freeze_for_user(user, freeze_id))
