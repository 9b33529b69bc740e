"""Dunning pages: the board, the action log, a lease's timeline, policies (editor and
back-test), the call queue and freeze approvals. Thin: access helpers, services, presenters."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from anzu.billing.dunning import access as dunning_access
from anzu.billing.dunning import executor, policies, selectors, services
from anzu.billing.dunning.choices import ActionStatus, CallStatus, FreezeStatus, PolicyStatus
from anzu.billing.dunning.forms import (
    STAGE_FIELD,
    ActionFilterForm,
    BacktestForm,
    BoardFilterForm,
    CallOutcomeForm,
    ExemptionForm,
    PauseForm,
    PolicyDraftForm,
    PromiseForm,
    ReasonForm,
)
from anzu.billing.dunning.models import PolicyVersion
from anzu.billing.dunning.presenters import (
    ACTION_STATUS_LABELS,
    call_script,
    present_action,
    present_call,
    present_case,
    present_customer_brief,
    present_freeze,
    present_pause,
    present_policy_version,
    present_promise,
    present_run,
)
from anzu.billing.dunning.run import dunning_run
from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.common.pagination import paginate
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view
from anzu.documents.notice_render import collection_account
from anzu.leasing.models import Lease
from anzu.portfolio import access as portfolio_access
from anzu.risk.approvals.web import is_request, submitted

CALL_FILTERS = ("open", "mine", "unassigned", "all")


def _require(user: Any, capability: str) -> None:
    if not access.can(user, capability):
        raise DjangoPermissionDenied


def _summary_json(summary: dict[str, Any] | None) -> str:
    return json.dumps(summary, ensure_ascii=False, indent=2, default=str) if summary else ""


# Board --------------------------------------------------------------------------------------------


def _render_board(
    request: HttpRequest, *, summary: dict[str, Any] | None = None, summary_title: str = ""
) -> HttpResponse:
    user: Any = request.user
    version = selectors.board_version(user.organization_id)
    policy = selectors.policy_of(version)
    projects = list(
        portfolio_access.projects_for_user(user).order_by("code", "id").values_list("id", "name")
    )
    form = BoardFilterForm(
        request.GET or None,
        stages=[(s.code, f"{s.code} · {s.name}") for s in policy.stages],
        projects=projects,
    )
    stage, project_id = "", None
    if form.is_valid():
        stage = form.cleaned_data.get("stage") or ""
        project_id = form.cleaned_data.get("project_id")
    page = paginate(
        selectors.cases(user, policy, stage=stage, project_id=project_id),
        page=page_number(request),
        page_size=50,
    )
    show = access.sees_amounts(user)
    rows = [present_case(user, row, show=show) for row in selectors.case_rows(policy, page.items)]
    return render(
        request,
        "dunning/board.html",
        {
            "tab": "board",
            "can_work_calls": access.can(request.user, "calls.work"),
            "version": version,
            "counts": selectors.case_counts(user, policy, project_id=project_id),
            "form": form,
            "page": page,
            "rows": rows,
            "qs": querystring_without_page(request.GET),
            "sees_amounts": show,
            "latest_run": present_run(selectors.latest_run(user.organization_id)),
            "summary_json": _summary_json(summary),
            "summary_title": summary_title,
            "can_manage": dunning_access.can_manage(user),
            "today": clock.today(),
        },
    )


@staff_view("dunning.view")
def board(request: HttpRequest) -> HttpResponse:
    return _render_board(request)


def _execute_due_actions(organization_id: int) -> dict[str, int]:
    return executor.execute_pending(organization_id=organization_id)


@require_POST
@staff_view("dunning.manage")
def board_run(request: HttpRequest, what: str) -> HttpResponse:
    user: Any = request.user
    today = clock.today()
    if what == "dry-run":
        summary = dunning_run(on=today, dry_run=True, organization_id=user.organization_id)
        return _render_board(request, summary=summary, summary_title=_("Dry run for today"))
    if what == "run":
        summary = dunning_run(on=today, organization_id=user.organization_id)
        messages.success(
            request,
            _("Run for %(date)s: %(actions)s actions created.")
            % {"date": summary["date"], "actions": summary["actions_created"]},
        )
        return redirect("dunning:board")
    if what == "execute":
        counts = _execute_due_actions(user.organization_id)
        messages.success(
            request,
            _("Executed: %(done)s done, %(skipped)s skipped, %(failed)s failed.")
            % {
                "done": counts.get(ActionStatus.DONE, 0),
                "skipped": counts.get(ActionStatus.SKIPPED, 0),
                "failed": counts.get(ActionStatus.FAILED, 0),
            },
        )
        return redirect("dunning:actions")
    raise Http404


# Actions ------------------------------------------------------------------------------------------


@staff_view("dunning.view")
def actions(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ActionFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    page = paginate(
        selectors.action_search(user, status=status), page=page_number(request), page_size=50
    )
    show = access.sees_amounts(user)
    return render(
        request,
        "dunning/actions.html",
        {
            "tab": "actions",
            "can_work_calls": access.can(request.user, "calls.work"),
            "form": form,
            "page": page,
            "rows": [present_action(user, a, show=show) for a in page.items],
            "counts": selectors.action_counts(user),
            "status_labels": ACTION_STATUS_LABELS,
            "qs": querystring_without_page(request.GET),
            "sees_amounts": show,
            "can_manage": dunning_access.can_manage(user),
        },
    )


@require_POST
@staff_view("dunning.manage")
def action_retry(request: HttpRequest, pk: int) -> HttpResponse:
    action = fetch(dunning_access.action_for_user, request.user, pk)
    if action.status != ActionStatus.FAILED:
        messages.error(request, _("Only a failed action can be retried."))
    else:
        status = executor.action_execute(action_id=action.pk)
        messages.success(
            request,
            _("Action #%(id)s: %(status)s.")
            % {"id": action.pk, "status": ACTION_STATUS_LABELS.get(status, status)},
        )
    return redirect(request.POST.get("next") or "dunning:actions")


# One lease ----------------------------------------------------------------------------------------


def _render_lease(
    request: HttpRequest, lease: Lease, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    show = access.sees_amounts(user)
    today = clock.today()
    timeline = selectors.lease_timeline(lease)
    forms = forms or {}
    exempt = bool(
        set(lease.customer.tags or ()) & set(selectors.board_version(user.organization_id).exempt)
    )
    return render(
        request,
        "dunning/lease.html",
        {
            "tab": "board",
            "can_work_calls": access.can(request.user, "calls.work"),
            "lease": lease,
            "customer": present_customer_brief(user, lease.customer),
            "exempt": exempt,
            "steps": timeline["steps"],
            "actions": [present_action(user, a, show=show) for a in timeline["actions"]],
            "promises": [
                present_promise(user, p, state=selectors.promise_state(p, today=today), show=show)
                for p in timeline["promises"]
            ],
            "pauses": [present_pause(p) for p in timeline["pauses"]],
            "calls": [present_call(user, c, show=show) for c in timeline["calls"]],
            "freezes": [present_freeze(user, f, show=show) for f in timeline["freezes"]],
            "promise_form": forms.get("promise") or PromiseForm(auto_id="promise_%s"),
            "pause_form": forms.get("pause") or PauseForm(auto_id="pause_%s"),
            "exemption_form": forms.get("exemption")
            or ExemptionForm(auto_id="exemption_%s", initial={"exempt": "1" if exempt else "0"}),
            "can_promise": dunning_access.can_promise(user),
            "can_manage": dunning_access.can_manage(user),
            "can_ledger": access.can(user, "billing.view"),
            "sees_amounts": show,
        },
        status=status,
    )


@staff_view("dunning.view")
def lease(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_lease(request, fetch(dunning_access.lease_for_dunning, request.user, pk))


@require_POST
@staff_view("dunning.view")
def lease_action(request: HttpRequest, pk: int, what: str, item: int | None = None) -> HttpResponse:
    user: Any = request.user
    obj = fetch(dunning_access.lease_for_dunning, user, pk)
    if what == "promise":
        if not dunning_access.can_promise(user):
            raise DjangoPermissionDenied
        form: Any = PromiseForm(request.POST, auto_id="promise_%s")
        key, done = "promise", _("Promise recorded; the ladder waits until the promised date.")

        def call(d: dict[str, Any]) -> object:
            return services.promise_create(lease=obj, by=user, **d)

    elif what == "pause":
        _require(user, "dunning.manage")
        form = PauseForm(request.POST, auto_id="pause_%s")
        key, done = "pause", _("Pause added.")

        def call(d: dict[str, Any]) -> object:
            return services.pause_create(lease=obj, by=user, **d)

    elif what == "exemption":
        _require(user, "dunning.manage")
        form = ExemptionForm(request.POST, auto_id="exemption_%s")
        key, done = "exemption", _("Exemption updated.")

        def call(d: dict[str, Any]) -> object:
            return services.exemption_set(customer=obj.customer, by=user, **d)

    elif what in ("pause-cancel", "promise-cancel"):
        try:
            if what == "pause-cancel":
                _require(user, "dunning.manage")
                pause = fetch(dunning_access.pause_for_user, user, item)
                if pause.lease_id != obj.pk:
                    raise Http404
                services.pause_cancel(pause=pause, by=user)
                messages.success(request, _("Pause cancelled."))
            else:
                if not dunning_access.can_promise(user):
                    raise DjangoPermissionDenied
                promise = fetch(dunning_access.promise_for_user, user, item)
                if promise.lease_id != obj.pk:
                    raise Http404
                services.promise_cancel(promise=promise, by=user)
                messages.success(request, _("Promise cancelled."))
        except DomainError as err:
            if err.status == 403:
                raise
            messages.error(request, localized_message(err))
        return redirect("dunning:lease", pk=obj.pk)
    else:
        raise Http404
    if form.is_valid():
        try:
            call(dict(form.cleaned_data))
        except DomainError as err:
            if err.status == 403:
                raise
            form.add_domain_error(err)
        else:
            messages.success(request, done)
            return redirect("dunning:lease", pk=obj.pk)
    return _render_lease(request, obj, forms={key: form}, status=422)


# Policies -----------------------------------------------------------------------------------------


@staff_view("dunning.view")
def policy_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    versions = dunning_access.policy_versions_for_user(user).select_related(
        "created_by", "published_by"
    )
    return render(
        request,
        "dunning/policies.html",
        {
            "tab": "policies",
            "can_work_calls": access.can(request.user, "calls.work"),
            "versions": [present_policy_version(v, full=False) for v in versions],
            "can_manage": dunning_access.can_manage(user),
        },
    )


@require_POST
@staff_view("dunning.manage")
def policy_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    data: dict[str, Any] | None = None
    source_id = request.POST.get("from")
    if source_id:
        source = fetch(dunning_access.policy_version_for_user, user, source_id)
        data = {
            "name": source.name,
            "stages": source.stages,
            "exempt_tags": source.exempt,
            "catch_up_days": source.catch_up_days,
            "notes": source.notes,
        }
    try:
        version = policies.policy_draft_create(by=user, data=data)
    except DomainError as err:
        if err.status == 403:
            raise
        messages.error(request, localized_message(err))
        return redirect("dunning:policies")
    messages.success(request, _("Draft v%(number)s created.") % {"number": version.number})
    return redirect("dunning:policy", pk=version.pk)


def _draft_form(version: PolicyVersion, data: Any = None) -> PolicyDraftForm:
    return PolicyDraftForm(
        data,
        initial={
            "name": version.name,
            "exempt_tags": ", ".join(version.exempt),
            "catch_up_days": version.catch_up_days,
            "notes": version.notes,
            STAGE_FIELD: json.dumps(version.stages, ensure_ascii=False, indent=2),
        },
    )


@staff_view("dunning.view")
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    version = fetch(dunning_access.policy_version_for_user, user, pk)
    can_manage = dunning_access.can_manage(user)
    is_draft = version.status == PolicyStatus.DRAFT
    form = _draft_form(version) if is_draft and can_manage else None
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise DjangoPermissionDenied
        if not is_draft:
            messages.error(
                request, _("Only a draft can be edited; start a new draft from this version.")
            )
            return redirect("dunning:policy", pk=version.pk)
        form = _draft_form(version, request.POST)
        if form.is_valid():
            try:
                policies.policy_draft_update(version=version, by=user, data=form.service_data())
            except DomainError as err:
                if err.status == 403:
                    raise
                form.add_domain_error(err)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("dunning:policy", pk=version.pk)
        status = 422
    backtest_form = None
    backtest = None
    if can_manage:
        backtest_form = BacktestForm(request.GET if "start" in request.GET else None)
        if backtest_form.is_bound and backtest_form.is_valid():
            from anzu.billing.dunning.backtest import policy_backtest

            try:
                backtest = policy_backtest(
                    version=version,
                    start=backtest_form.cleaned_data["start"],
                    end=backtest_form.cleaned_data["end"],
                )
            except DomainError as err:
                backtest_form.add_domain_error(err)
    policy = selectors.policy_of(version)
    stage_codes = [s.code for s in policy.stages]
    return render(
        request,
        "dunning/policy.html",
        {
            "tab": "policies",
            "can_work_calls": access.can(request.user, "calls.work"),
            "version": present_policy_version(version),
            "stages": version.stages,
            "form": form,
            "is_draft": is_draft,
            "can_manage": can_manage,
            "backtest_form": backtest_form,
            "backtest": backtest,
            "stage_codes": stage_codes,
            "backtest_days": [
                {"date": d["date"], "counts": [d["by_stage"].get(c, 0) for c in stage_codes]}
                for d in (backtest or {}).get("by_day", [])
            ],
            "backtest_totals": [
                (backtest or {}).get("by_stage", {}).get(c, 0) for c in stage_codes
            ],
            "sees_amounts": access.sees_amounts(user),
        },
        status=status,
    )


@require_POST
@staff_view("dunning.manage")
def policy_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    version = fetch(dunning_access.policy_version_for_user, user, pk)
    try:
        policies.policy_publish(version=version, by=user)
    except DomainError as err:
        if err.status == 403:
            raise
        messages.error(request, localized_message(err))
    else:
        messages.success(request, _("Version %(number)s published.") % {"number": version.number})
    return redirect("dunning:policy", pk=version.pk)


# Calls --------------------------------------------------------------------------------------------


@staff_view("calls.work")
def calls(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    which = request.GET.get("show", "open")
    if which not in CALL_FILTERS:
        which = "open"
    qs = selectors.call_queue(
        user,
        which="all" if which == "open" else which,
        status=CallStatus.OPEN if which == "open" else "",
    )
    page = paginate(qs, page=page_number(request), page_size=50)
    show = access.sees_amounts(user)
    return render(
        request,
        "dunning/calls.html",
        {
            "tab": "calls",
            "can_work_calls": access.can(request.user, "calls.work"),
            "which": which,
            "filters": [
                ("open", pgettext("dunning call filter", "Open")),
                ("mine", _("Mine")),
                ("unassigned", _("Unassigned")),
                ("all", _("All")),
            ],
            "page": page,
            "rows": [present_call(user, c, show=show) for c in page.items],
            "qs": querystring_without_page(request.GET),
            "sees_amounts": show,
        },
    )


def _render_call(
    request: HttpRequest, call: Any, *, form: CallOutcomeForm | None = None, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    show = access.sees_amounts(user)
    data = present_call(user, call, show=show)
    return render(
        request,
        "dunning/call.html",
        {
            "tab": "calls",
            "can_work_calls": access.can(request.user, "calls.work"),
            "call": data,
            "lease": call.lease,
            "script": call_script(
                call,
                today=clock.today(),
                amount_shown=data["amount"],
                account=collection_account(call.lease.organization),
            ),
            "form": form or CallOutcomeForm(),
            "can_ledger": access.can(user, "billing.view"),
            "sees_amounts": show,
            "is_open": call.status == CallStatus.OPEN,
        },
        status=status,
    )


def _call(request: HttpRequest, pk: int) -> Any:
    return fetch(dunning_access.call_for_user, request.user, pk)


@staff_view("calls.work")
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    if request.method != "POST":
        return _render_call(request, call)
    form = CallOutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.call_complete(call=call, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as err:
            if err.status == 403:
                raise
            form.add_domain_error(err)
        else:
            messages.success(request, _("Call outcome recorded."))
            return redirect("dunning:call", pk=call.pk)
    return _render_call(request, call, form=form, status=422)


@require_POST
@staff_view("calls.work")
def call_assign(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    release = request.POST.get("release") == "1"
    try:
        services.call_assign(call=call, by=request.user, to=None if release else request.user)  # type: ignore[arg-type]
    except DomainError as err:
        if err.status == 403:
            raise
        messages.error(request, localized_message(err))
    else:
        messages.success(request, _("Call released.") if release else _("Call assigned to you."))
    return redirect("dunning:call", pk=call.pk)


# Freezes ------------------------------------------------------------------------------------------


@staff_view("dunning.view")
def freezes(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    status = request.GET.get("status", "")
    if status not in ("", "all", *FreezeStatus.values):
        status = ""
    page = paginate(
        selectors.freeze_list(user, status=status), page=page_number(request), page_size=50
    )
    show = access.sees_amounts(user)
    return render(
        request,
        "dunning/freezes.html",
        {
            "tab": "freezes",
            "can_work_calls": access.can(request.user, "calls.work"),
            "status": status,
            "statuses": FreezeStatus.choices,
            "page": page,
            "rows": [present_freeze(user, f, show=show) for f in page.items],
            "qs": querystring_without_page(request.GET),
            "sees_amounts": show,
            "can_approve": dunning_access.can_approve_freezes(user),
            "errors": {},
        },
    )


@require_POST
@staff_view("freeze.approve")
def freeze_decide(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    user: Any = request.user
    freeze = fetch(dunning_access.freeze_for_user, user, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        if what == "approve":
            result = services.freeze_decide(freeze=freeze, by=user, approve=True, reason=reason)
            if is_request(result):  # a second person confirms the freeze
                return submitted(request, result)  # type: ignore[arg-type]
            messages.success(request, _("Freeze approved."))
        elif what == "reject":
            services.freeze_decide(freeze=freeze, by=user, approve=False, reason=reason)
            messages.success(request, _("Freeze rejected."))
        elif what == "lift":
            services.freeze_lift(freeze=freeze, by=user, reason=reason)
            messages.success(request, _("Freeze lifted."))
        else:
            raise Http404
    except DomainError as err:
        if err.status == 403:
            raise
        show = access.sees_amounts(user)
        page = paginate(selectors.freeze_list(user), page=1, page_size=50)
        return render(
            request,
            "dunning/freezes.html",
            {
                "tab": "freezes",
                "can_work_calls": access.can(request.user, "calls.work"),
                "status": "",
                "statuses": FreezeStatus.choices,
                "page": page,
                "rows": [present_freeze(user, f, show=show) for f in page.items],
                "qs": "",
                "sees_amounts": show,
                "can_approve": True,
                "errors": {freeze.pk: localized_message(err)},
                "error_field": err.field,
            },
            status=422,
        )
    return redirect("dunning:freezes")
