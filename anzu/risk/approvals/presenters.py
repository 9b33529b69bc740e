"""What a user sees of an approval request: the command, its readable diff and decisions.

Amounts in a diff are hidden without ``amounts.view``, like everywhere else.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from anzu.core import access
from anzu.risk.approvals import registry
from anzu.risk.approvals.models import ApprovalRequest

MONEY_FIELDS = frozenset(
    {
        "monthly_rent",
        "deposit",
        "amount",
        "deposit_held",
        "credit",
        "outstanding",
        "amount_owed",
    }
)


def action_label(code: str) -> str:
    entry = registry.ACTIONS.get(code)
    return str(entry.label) if entry is not None else code


def present_diff(user: Any, diff: list[Any]) -> list[dict[str, Any]]:
    show = access.sees_amounts(user)
    rows = []
    for name, before, after in diff:
        hidden = name in MONEY_FIELDS and not show
        rows.append(
            {
                "field": name,
                "label": str(registry.FIELD_LABELS.get(name, name)),
                "before": "***" if hidden and before is not None else before,
                "after": "***" if hidden and after is not None else after,
            }
        )
    return rows


def present_request(user: Any, request: ApprovalRequest) -> dict[str, Any]:
    from anzu.risk.approvals.services import may_decide

    show = access.sees_amounts(user)
    decisions = [
        {
            "checker": d.checker.username,
            "decision": d.decision,
            "decision_label": d.get_decision_display(),
            "reason": d.reason,
            "at": d.at,
            "void_reason": d.void_reason,
        }
        for d in request.decisions.select_related("checker").all()
    ]
    return {
        "id": request.pk,
        "action": request.action,
        "action_label": action_label(request.action),
        "status": request.status,
        "status_label": request.get_status_display(),
        "summary": request.summary,
        "args": request.args if show else {},
        "diff": present_diff(user, request.diff),
        "amount": (str(request.amount) if request.amount is not None else None) if show else None,
        "precondition": request.precondition,
        "maker": request.maker.username,
        "maker_id": request.maker_id,
        "checkers_required": request.checkers_required,
        "checker_capability": request.checker_capability,
        "rule_version": request.rule_version,
        "created_at": request.created_at,
        "decided_at": request.decided_at,
        "executed_at": request.executed_at,
        "reason": request.reason,
        "result": request.result,
        "decisions": decisions,
        "can_decide": request.status == "pending" and may_decide(user, request),
        "can_cancel": request.status == "pending" and request.maker_id == user.pk,
        "message": _("Submitted for approval.") if request.status == "pending" else "",
    }


def present_rule(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "action": rule.action,
        "action_label": action_label(rule.action),
        "conditions": rule.conditions,
        "checkers_required": rule.checkers_required,
        "checker_capability": rule.checker_capability,
        "active": rule.active,
        "version": rule.version,
        "updated_at": rule.updated_at,
    }
