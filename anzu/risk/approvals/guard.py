"""The guard every guarded service calls before it acts.

``guard(code, by=…, args=…, approval=…)`` returns ``None`` when the service may go on, or the
new :class:`ApprovalRequest` the service returns instead of acting. A service goes on only when

* the organization's rule for ``code`` does not apply to this command (inactive, or an amount
  below its threshold), or
* ``approval`` is the request the approvals service is executing right now: approved, not yet
  executed, of the same organization, action, maker and exact arguments. The guard marks it
  executed in the caller's transaction, so one approval runs its command once.

Nothing else lets a guarded command through: no role, no superuser flag, no setting.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.core import access, audit
from anzu.core.models import User
from anzu.risk.approvals import registry
from anzu.risk.approvals.choices import RequestStatus
from anzu.risk.approvals.models import ApprovalRequest, ApprovalRule

# The id of the request the approvals service is executing in this context (never set elsewhere).
_executing: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "approval_executing", default=None
)


class ApprovalInvalid(DomainError):
    status = 403

    def __init__(self, message: str = "This command has no valid approval.") -> None:
        super().__init__("approval_invalid", message, field="approval")


def canonical(args: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of a command's arguments, as stored and compared."""
    return json.loads(  # type: ignore[no-any-return]
        json.dumps(audit._jsonable(args), sort_keys=True, ensure_ascii=False)
    )


@contextmanager
def executing(request: ApprovalRequest) -> Iterator[None]:
    """Used only by :func:`anzu.risk.approvals.services.request_approve`."""
    token = _executing.set(request.pk)
    try:
        yield
    finally:
        _executing.reset(token)


def ensure_rules(organization_id: int) -> None:
    """Create the default rule of every guarded action the organization does not have yet."""
    known = set(
        ApprovalRule.objects.filter(organization_id=organization_id).values_list(
            "action", flat=True
        )
    )
    missing = [a for code, a in registry.ACTIONS.items() if code not in known]
    if missing:
        ApprovalRule.objects.bulk_create(
            [
                ApprovalRule(
                    organization_id=organization_id,
                    action=a.code,
                    conditions=dict(a.default_conditions),
                    checkers_required=a.default_checkers,
                    checker_capability=a.checker_capability,
                )
                for a in missing
            ],
            ignore_conflicts=True,
        )


def rule_for(organization_id: int, code: str) -> ApprovalRule:
    rule = ApprovalRule.objects.filter(organization_id=organization_id, action=code).first()
    if rule is None:
        ensure_rules(organization_id)
        rule = ApprovalRule.objects.get(organization_id=organization_id, action=code)
    return rule


def rule_applies(rule: ApprovalRule, amount: Decimal | None) -> bool:
    if not rule.active:
        return False
    conditions = rule.conditions or {}
    if conditions.get("always"):
        return True
    threshold = conditions.get("amount_gte")
    if threshold is not None:
        # Without an amount to compare, the rule applies (fail closed).
        return amount is None or amount >= Decimal(str(threshold))
    return True


def _consume(approval: Any, code: str, by: User, args: dict[str, Any]) -> None:
    if not isinstance(approval, ApprovalRequest) or approval.pk is None:
        raise ApprovalInvalid()
    if _executing.get() != approval.pk or not connection.in_atomic_block:
        raise ApprovalInvalid("An approval is executed only by the approvals service.")
    locked = ApprovalRequest.objects.select_for_update().get(pk=approval.pk)
    if (
        locked.action != code
        or locked.organization_id != access.org_id(by)
        or locked.maker_id != by.pk
        or canonical(locked.args) != canonical(args)
    ):
        raise ApprovalInvalid("The approval is for another command.")
    done = ApprovalRequest.objects.filter(pk=locked.pk, status=RequestStatus.APPROVED).update(
        status=RequestStatus.EXECUTED, executed_at=clock.now()
    )
    if done != 1:
        raise ApprovalInvalid("The approval is not approved, or was already used.")
    approval.status = RequestStatus.EXECUTED


def guard(
    code: str,
    *,
    by: User,
    args: dict[str, Any],
    approval: Any = None,
    summary: str = "",
    diff: Iterable[tuple[str, Any, Any]] = (),
    amount: Any = None,
    obj: Model | None = None,
    project_id: int | None = None,
    building_id: int | None = None,
    excluded: Iterable[int | None] = (),
) -> ApprovalRequest | None:
    """``None``: go on (and, with ``approval``, it is consumed). Otherwise the new request."""
    entry = registry.get(code)
    if approval is not None:
        _consume(approval, code, by, args)
        return None
    organization_id = access.org_id(by)
    rule = rule_for(organization_id, code)
    money = registry.amount_of(amount)
    if not rule_applies(rule, money):
        return None
    stored = canonical(args)
    with transaction.atomic():
        request = ApprovalRequest.objects.create(
            organization_id=organization_id,
            action=code,
            args=stored,
            summary=str(summary)[:200],
            diff=audit._jsonable([[name, before, after] for name, before, after in diff]),
            amount=money,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk else "",
            project_id=project_id,
            building_id=building_id,
            precondition=entry.precondition(stored, organization_id),
            rule=rule,
            rule_version=rule.version,
            checkers_required=rule.checkers_required,
            checker_capability=rule.checker_capability,
            excluded_checkers=sorted({int(u) for u in excluded if u}),
            maker=by,
            created_at=clock.now(),
        )
        audit.record(
            action="approval.request",
            obj=request,
            organization=organization_id,
            actor=by,
            changes={
                "action": code,
                "args": stored,
                "precondition": request.precondition,
                "rule_version": rule.version,
                "checkers_required": rule.checkers_required,
            },
        )
    return request
