"""What a user may see of dunning rows: amounts hidden without ``amounts.view``, customers
masked without ``pii.view`` (through :func:`anzu.leasing.presenters.present_customer`).

The API and the pages both render these dictionaries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import pgettext_lazy

from anzu.billing.dunning.models import (
    CallTask,
    DunningAction,
    DunningPause,
    DunningRun,
    FreezeRequest,
    PaymentPromise,
    PolicyVersion,
)
from anzu.billing.dunning.selectors import CaseRow
from anzu.core import access
from anzu.leasing.models import Customer, Lease
from anzu.leasing.presenters import present_customer

# Status labels with a context: the bare words ("Open", "Pending") mean other things in the
# billing and notify catalogues.
ACTION_STATUS_LABELS: dict[str, Any] = {
    "pending": pgettext_lazy("dunning action status", "Pending"),
    "done": pgettext_lazy("dunning action status", "Done"),
    "skipped": pgettext_lazy("dunning action status", "Skipped"),
    "failed": pgettext_lazy("dunning action status", "Failed"),
}
CALL_STATUS_LABELS: dict[str, Any] = {
    "open": pgettext_lazy("dunning call status", "Open"),
    "done": pgettext_lazy("dunning call status", "Done"),
    "cancelled": pgettext_lazy("dunning call status", "Cancelled"),
}


def _money(show: bool, value: Any) -> Any:
    return value if show else None


def _user_label(user: Any) -> str:
    return str(user.label) if user is not None else ""


def present_customer_brief(user: Any, customer: Customer) -> dict[str, Any]:
    data = present_customer(user, customer)
    return {
        "id": data["id"],
        "name": data["name"],
        "phone": data["phone"],
        "tags": data["tags"],
        "masked": data["masked"],
    }


def unit_label(lease: Lease) -> str:
    return f"{lease.building.name} {lease.unit.code}"


def present_case(user: Any, row: CaseRow, *, show: bool | None = None) -> dict[str, Any]:
    show = access.sees_amounts(user) if show is None else show
    lease = row.lease
    return {
        "lease_id": lease.pk,
        "lease_code": lease.code,
        "customer": present_customer_brief(user, lease.customer),
        "project_id": lease.project_id,
        "unit": unit_label(lease),
        "due_date": row.due_date,
        "amount": _money(show, row.amount),
        "stage": row.stage.code if row.stage else "",
        "stage_name": row.stage.name if row.stage else "",
        "next_stage": row.next_stage.code if row.next_stage else "",
        "next_stage_name": row.next_stage.name if row.next_stage else "",
        "next_date": row.next_date,
        "pending_actions": row.pending,
        "failed_actions": row.failed,
        "amounts_hidden": not show,
    }


def present_action(user: Any, action: DunningAction, *, show: bool | None = None) -> dict[str, Any]:
    show = access.sees_amounts(user) if show is None else show
    return {
        "id": action.pk,
        "lease_id": action.lease_id,
        "lease_code": action.lease.code,
        "stage": action.stage_code,
        "kind": action.kind,
        "kind_label": str(action.get_kind_display()),
        "due_date": action.due_date,
        "amount": _money(show, action.amount),
        "status": action.status,
        "status_label": str(ACTION_STATUS_LABELS.get(action.status, action.status)),
        "attempts": action.attempts,
        "next_attempt_at": action.next_attempt_at,
        "result": action.result,
        "error": action.error,
        "created_on": action.created_on,
        "executed_at": action.executed_at,
        "amounts_hidden": not show,
    }


DEFAULT_SCRIPT = (
    "1. 问候：您好，请问是{customer_name}吗？我是{organization}的客服，打扰您一分钟。\n"
    "2. 说明：您租住的{unit}（合同{lease_code}）{due_date}到期的租金{amount}元目前尚未到账，"
    "已逾期{days_overdue}天。\n"
    "3. 收款账户：请转入{account}，转账时请备注合同号{lease_code}。\n"
    "4. 了解原因：请问是忘记缴费，还是暂时有资金困难，或对我们的服务有不满意的地方？\n"
    "5. 约定还款：请问您最晚哪一天可以付清？我为您登记承诺还款日期（最长60天），"
    "在此之前不会再催缴。\n"
    "6. 结束：感谢您的配合，如有疑问请随时联系我们。"
)


def call_script(call: CallTask, *, today: dt.date, amount_shown: Any, account: str) -> str:
    """The action's script, or the default one, with the call's facts filled in."""
    lease = call.lease
    spec_script = ""
    if call.action is not None:
        spec_script = str(call.action.spec.get("script") or "")
    template = spec_script or DEFAULT_SCRIPT
    values = {
        "customer_name": call.customer.name,
        "organization": lease.organization.name,
        "unit": unit_label(lease),
        "lease_code": lease.code,
        "due_date": call.due_date.isoformat(),
        "amount": amount_shown if amount_shown is not None else "—",
        "days_overdue": max((today - call.due_date).days, 0),
        "account": account,
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def present_call(user: Any, call: CallTask, *, show: bool | None = None) -> dict[str, Any]:
    show = access.sees_amounts(user) if show is None else show
    return {
        "id": call.pk,
        "lease_id": call.lease_id,
        "lease_code": call.lease.code,
        "customer": present_customer_brief(user, call.customer),
        "stage": call.stage_code,
        "due_date": call.due_date,
        "amount": _money(show, call.amount),
        "status": call.status,
        "status_label": str(CALL_STATUS_LABELS.get(call.status, call.status)),
        "outcome": call.outcome,
        "outcome_label": str(call.get_outcome_display()) if call.outcome else "",
        "note": call.note,
        "assigned_to_id": call.assigned_to_id,
        "assigned_to": _user_label(call.assigned_to),
        "completed_by": _user_label(call.completed_by),
        "completed_at": call.completed_at,
        "created_at": call.created_at,
        "amounts_hidden": not show,
    }


def present_freeze(user: Any, freeze: FreezeRequest, *, show: bool | None = None) -> dict[str, Any]:
    show = access.sees_amounts(user) if show is None else show
    return {
        "id": freeze.pk,
        "lease_id": freeze.lease_id,
        "lease_code": freeze.lease.code,
        "customer": present_customer_brief(user, freeze.customer),
        "kind": freeze.kind,
        "kind_label": str(freeze.get_kind_display()),
        "amount": _money(show, freeze.amount),
        "status": freeze.status,
        "status_label": str(freeze.get_status_display()),
        "decided_by": _user_label(freeze.decided_by),
        "decided_at": freeze.decided_at,
        "reason": freeze.reason,
        "lifted_at": freeze.lifted_at,
        "created_at": freeze.created_at,
        "amounts_hidden": not show,
    }


def present_promise(
    user: Any, promise: PaymentPromise, *, state: str, show: bool | None = None
) -> dict[str, Any]:
    show = access.sees_amounts(user) if show is None else show
    return {
        "id": promise.pk,
        "lease_id": promise.lease_id,
        "amount": _money(show, promise.amount),
        "made_on": promise.made_on,
        "promised_date": promise.promised_date,
        "note": promise.note,
        "call_task_id": promise.call_task_id,
        "state": state,
        "cancelled_at": promise.cancelled_at,
        "amounts_hidden": not show,
    }


def present_pause(pause: DunningPause) -> dict[str, Any]:
    return {
        "id": pause.pk,
        "lease_id": pause.lease_id,
        "start": pause.start,
        "end": pause.end,
        "reason": pause.reason,
        "cancelled_at": pause.cancelled_at,
        "created_by": _user_label(pause.created_by),
    }


def present_policy_version(version: PolicyVersion, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": version.pk,
        "number": version.number,
        "name": version.name,
        "status": version.status,
        "status_label": str(version.get_status_display()),
        "exempt_tags": version.exempt,
        "catch_up_days": version.catch_up_days,
        "notes": version.notes,
        "created_at": version.created_at,
        "created_by": _user_label(version.created_by),
        "published_at": version.published_at,
        "published_by": _user_label(version.published_by),
    }
    if full:
        data["stages"] = version.stages
    return data


def present_run(run: DunningRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "run_date": run.run_date,
        "summary": run.summary,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }
