"""Writes of the approvals app: decide, cancel, reassign, and change rules (itself approved).

The checker is never the maker, never a person the request excludes (a lease's creator may not
activate it), and must hold the request's checker capability. No role, superuser flag or
setting lets anyone skip a decision. Approval by enough distinct checkers re-reads the
precondition version and, when it still holds, executes the command in the same transaction;
otherwise the request becomes ``stale`` and nothing runs.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from anzu.core import access, audit
from anzu.core.models import User
from anzu.risk.approvals import guard as guards
from anzu.risk.approvals import registry
from anzu.risk.approvals.choices import Decision, RequestStatus
from anzu.risk.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalRule

MESSAGES = [
    gettext_noop("Only a pending request can be decided."),
    gettext_noop("You made this request; another person must decide it."),
    gettext_noop("You may not decide this request."),
    gettext_noop("You already decided this request."),
    gettext_noop("Give the reason for the rejection."),
    gettext_noop("The data changed since the request was made; nothing was executed. Ask again."),
    gettext_noop("Only the maker can cancel a request."),
    gettext_noop("Only a pending request can be cancelled."),
    gettext_noop("Between 1 and 3 checkers."),
    gettext_noop("Unknown capability."),
    gettext_noop('Use {"always": true} or {"amount_gte": "5000.00"}.'),
    gettext_noop("The rule for changing rules stays active."),
]


def _lock(request: ApprovalRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.select_for_update().get(pk=request.pk)


def _require_pending(locked: ApprovalRequest) -> None:
    if locked.status != RequestStatus.PENDING:
        raise Conflict(
            "not_pending",
            "Only a pending request can be decided.",
            field="status",
            status=locked.status,
        )


def may_decide(user: Any, request: ApprovalRequest) -> bool:
    """Whether ``user`` may approve or reject ``request`` now (the pages use it too)."""
    return (
        access.is_staff_user(user)
        and user.organization_id == request.organization_id
        and user.pk != request.maker_id
        and user.pk not in (request.excluded_checkers or [])
        and access.can(user, request.checker_capability)
    )


def _check_checker(locked: ApprovalRequest, by: User) -> None:
    _require_pending(locked)
    if by.pk == locked.maker_id:
        raise PermissionDenied("You made this request; another person must decide it.")
    if not may_decide(by, locked):
        raise PermissionDenied("You may not decide this request.")
    if locked.decisions.filter(checker=by, void_reason="").exists():
        raise Conflict("already_decided", "You already decided this request.", field="checker")


def _stale(locked: ApprovalRequest, by: User, detail: dict[str, Any]) -> Conflict:
    locked.status = RequestStatus.STALE
    locked.decided_at = clock.now()
    locked.result = detail
    locked.reason = "stale_request"
    locked.save(update_fields=["status", "decided_at", "result", "reason"])
    audit.record(
        action="approval.stale",
        obj=locked,
        organization=locked.organization_id,
        actor=by,
        changes={"action": locked.action, **detail},
    )
    return Conflict(
        "stale_request",
        "The data changed since the request was made; nothing was executed. Ask again.",
        field="precondition",
        **detail,
    )


def request_approve(*, request: ApprovalRequest, by: User, reason: str = "") -> ApprovalRequest:
    """Record ``by``'s approval; with enough distinct approvals, execute the command."""
    reason = v.text(reason, field="reason", max_length=300, required=False)
    outcome: Conflict | None = None
    with transaction.atomic():
        locked = _lock(request)
        _check_checker(locked, by)
        ApprovalDecision.objects.create(
            request=locked, checker=by, decision=Decision.APPROVE, reason=reason, at=clock.now()
        )
        audit.record(
            action="approval.approve",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"action": locked.action, "reason": reason},
        )
        approvals = (
            locked.decisions.filter(decision=Decision.APPROVE, void_reason="")
            .values("checker")
            .distinct()
            .count()
        )
        if approvals >= locked.checkers_required:
            outcome = _execute(locked, by)
    if outcome is not None:
        raise outcome
    request.refresh_from_db()
    return request


def _execute(locked: ApprovalRequest, by: User) -> Conflict | None:
    entry = registry.get(locked.action)
    current = entry.precondition(locked.args, locked.organization_id)
    if current != locked.precondition:
        return _stale(locked, by, {"expected": locked.precondition, "found": current})
    locked.status = RequestStatus.APPROVED
    locked.decided_at = clock.now()
    locked.save(update_fields=["status", "decided_at"])
    maker = User.objects.get(pk=locked.maker_id)
    try:
        with transaction.atomic(), guards.executing(locked):
            result = entry.execute(locked, maker)
    except DomainError as err:
        return _stale(locked, by, {"error": err.as_dict()})
    locked.refresh_from_db()
    if locked.status != RequestStatus.EXECUTED:  # the service did not consume the approval
        raise RuntimeError(f"{locked.action} ran without consuming its approval")
    locked.result = audit._jsonable(result)
    locked.save(update_fields=["result"])
    audit.record(
        action="approval.execute",
        obj=locked,
        organization=locked.organization_id,
        actor=by,
        changes={"action": locked.action, "maker": locked.maker_id, "result": locked.result},
    )
    return None


def request_reject(*, request: ApprovalRequest, by: User, reason: str) -> ApprovalRequest:
    reason = v.text(reason, field="reason", max_length=300, required=False)
    if not reason:
        raise ValidationFailed("required", "Give the reason for the rejection.", field="reason")
    with transaction.atomic():
        locked = _lock(request)
        _check_checker(locked, by)
        ApprovalDecision.objects.create(
            request=locked, checker=by, decision=Decision.REJECT, reason=reason, at=clock.now()
        )
        locked.status = RequestStatus.REJECTED
        locked.decided_at = clock.now()
        locked.reason = reason
        locked.save(update_fields=["status", "decided_at", "reason"])
        audit.record(
            action="approval.reject",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"action": locked.action, "reason": reason},
        )
    request.refresh_from_db()
    return request


def _cancel(locked: ApprovalRequest, *, by: User | None, reason: str) -> None:
    locked.status = RequestStatus.CANCELLED
    locked.decided_at = clock.now()
    locked.reason = reason
    locked.save(update_fields=["status", "decided_at", "reason"])
    audit.record(
        action="approval.cancel",
        obj=locked,
        organization=locked.organization_id,
        actor=by,
        changes={"action": locked.action, "reason": reason},
    )


def request_cancel(*, request: ApprovalRequest, by: User, reason: str = "") -> ApprovalRequest:
    """The maker withdraws a pending request."""
    reason = v.text(reason, field="reason", max_length=300, required=False) or "maker_cancelled"
    with transaction.atomic():
        locked = _lock(request)
        if locked.maker_id != by.pk:
            raise PermissionDenied("Only the maker can cancel a request.")
        if locked.status != RequestStatus.PENDING:
            raise Conflict(
                "not_pending", "Only a pending request can be cancelled.", field="status"
            )
        _cancel(locked, by=by, reason=reason)
    request.refresh_from_db()
    return request


def approvals_reassign_from(user: User, *, by: User | None) -> dict[str, int]:
    """Take a frozen account out of every pending approval.

    Its own pending requests are cancelled (reason ``maker_frozen``); requests designated to it
    go back to the pool of checkers (``assigned_to`` cleared); its approvals of requests still
    pending stop counting (``void_reason = "checker_frozen"``). Idempotent; returns counts.
    """
    counts = {"cancelled": 0, "unassigned": 0, "decisions_voided": 0}
    with transaction.atomic():
        pending = ApprovalRequest.objects.select_for_update().filter(status=RequestStatus.PENDING)
        for locked in pending.filter(maker=user).order_by("id"):
            _cancel(locked, by=by, reason="maker_frozen")
            counts["cancelled"] += 1
        for locked in pending.filter(assigned_to=user).order_by("id"):
            locked.assigned_to = None
            locked.save(update_fields=["assigned_to"])
            audit.record(
                action="approval.reassign",
                obj=locked,
                organization=locked.organization_id,
                actor=by,
                changes={"assigned_to": [user.pk, None], "reason": "checker_frozen"},
            )
            counts["unassigned"] += 1
        decisions = ApprovalDecision.objects.filter(
            checker=user, void_reason="", request__status=RequestStatus.PENDING
        )
        for decision in decisions.select_related("request").order_by("id"):
            ApprovalDecision.objects.filter(pk=decision.pk).update(void_reason="checker_frozen")
            audit.record(
                action="approval.decision_void",
                obj=decision.request,
                organization=decision.request.organization_id,
                actor=by,
                changes={"checker": user.pk, "reason": "checker_frozen"},
            )
            counts["decisions_voided"] += 1
    return counts


# Rules --------------------------------------------------------------------------------------


def ensure_rules_for(user: Any) -> None:
    """Make sure the caller's organization has a rule for every guarded action."""
    guards.ensure_rules(access.org_id(user))


def _conditions(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and value.get("always") is True and len(value) == 1:
        return {"always": True}
    if isinstance(value, dict) and set(value) == {"amount_gte"}:
        from anzu.common.money import to_money

        return {"amount_gte": str(to_money(value["amount_gte"], field="conditions"))}
    raise ValidationFailed(
        "invalid",
        'Use {"always": true} or {"amount_gte": "5000.00"}.',
        field="conditions",
    )


RULE_SPEC: dict[str, Any] = {
    "conditions": lambda x, f: _conditions(x),
    "checkers_required": lambda x, f: v.integer(x, field=f, minimum=1, maximum=3),
    "checker_capability": lambda x, f: _capability(x, f),
    "active": lambda x, f: x if isinstance(x, bool) else _bad_bool(f),
}


def _capability(value: Any, field: str) -> str:
    text = v.text(value, field=field, max_length=60)
    if text not in access.CAPABILITIES:
        raise ValidationFailed("invalid_choice", "Unknown capability.", field=field)
    return text


def _bad_bool(field: str) -> bool:
    raise ValidationFailed("invalid", "Enter yes or no.", field=field)


RULE_FIELDS = ("conditions", "checkers_required", "checker_capability", "active")


def rule_update(
    *, rule: ApprovalRule, by: User, data: dict[str, Any], approval: Any = None
) -> ApprovalRule | ApprovalRequest:
    """Change a rule. Itself a guarded action: a second administrator approves the change.

    Requests already pending keep the rule version they were made under, so a rule change can
    neither approve nor loosen them.
    """
    access.require(by, "approvals.rules")
    if rule.organization_id != access.org_id(by):
        raise PermissionDenied()
    cleaned = v.clean(data, RULE_SPEC, partial=True)
    if rule.action == "approvals.rule_change" and cleaned.get("active") is False:
        raise ValidationFailed(
            "invalid", "The rule for changing rules stays active.", field="active"
        )
    before = {name: getattr(rule, name) for name in RULE_FIELDS}
    after = {**before, **cleaned}
    changed = [(n, before[n], after[n]) for n in RULE_FIELDS if before[n] != after[n]]
    pending = guards.guard(
        "approvals.rule_change",
        by=by,
        args={"rule_id": rule.pk, "data": cleaned},
        approval=approval,
        summary=f"{rule.action}",
        diff=changed,
        obj=rule,
    )
    if pending is not None:
        return pending
    with transaction.atomic():
        locked = ApprovalRule.objects.select_for_update().get(pk=rule.pk)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        if changed:
            locked.version += 1
            locked.updated_by = by
            locked.save()
            audit.record(
                action="approval.rule_update",
                obj=locked,
                organization=locked.organization_id,
                actor=by,
                changes={n: [b, a] for n, b, a in changed} | {"version": locked.version},
            )
    return locked
