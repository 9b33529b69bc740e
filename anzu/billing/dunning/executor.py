"""Executing dunning actions: exactly once, each guard re-checked first, effects in one transaction.

A worker locks the action row (``SELECT … FOR UPDATE``; SQLite's IMMEDIATE transactions
serialize it), returns at once when another worker already finished it, re-checks the guards
(:mod:`.guards`) and then, in the same transaction, writes the effect and the action's new
status: outbox rows for messages (delivered later by the notify workers with retries and
idempotency keys), a call task, a signed notice, freeze requests awaiting approval, or a
move-out settlement case. A crash before the commit leaves the action pending; a crash after it
leaves it done. An effect that fails (a missing template, a signing error) rolls back alone:
the action is marked failed with the error and retried with exponential backoff.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction

from anzu.billing.dunning import guards
from anzu.billing.dunning.choices import (
    ActionKind,
    ActionStatus,
    CallStatus,
    FreezeStatus,
)
from anzu.billing.dunning.models import CallTask, DunningAction, FreezeRequest
from anzu.billing.dunning.policy import DEFAULT_CONSEQUENCES
from anzu.billing.models import Bill
from anzu.common import clock
from anzu.common.errors import ValidationFailed
from anzu.core import audit
from anzu.documents.notice_render import collection_account
from anzu.leasing.models import Lease
from anzu.notify.services import outbox_enqueue

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 60  # 1, 2, 4, 8, 16 minutes


def _unit_label(lease: Lease) -> str:
    return f"{lease.project.name} {lease.building.name} {lease.unit.code}"


def _notify(action: DunningAction, lease: Lease, today: dt.date, amount: Any) -> dict[str, Any]:
    spec = action.spec
    payload = {
        "customer_name": lease.customer.name,
        "organization": lease.organization.name,
        "project": lease.project.name,
        "unit": _unit_label(lease),
        "lease_code": lease.code,
        "amount": amount,
        "due_date": action.due_date,
        "deadline": max(action.due_date, today + dt.timedelta(days=3)),
        "days_overdue": max((today - action.due_date).days, 0),
        "account": collection_account(lease.organization).replace("\n", " "),
        "consequences": DEFAULT_CONSEQUENCES,
        "notice_date": today,
    }
    sent: dict[str, Any] = {}
    for channel in spec["channels"]:
        try:
            with transaction.atomic():
                message = outbox_enqueue(
                    organization_id=action.organization_id,
                    channel=channel,
                    idempotency_key=f"dunning:{action.idempotency_key}:{channel}",
                    customer_id=lease.customer_id,
                    template_code=spec["template"],
                    payload=payload,
                )
            sent[channel] = message.pk
        except ValidationFailed as exc:
            if exc.code != "no_address":
                raise
            # A tenant without a phone or a WeChat openid: the other channels still go.
            sent[channel] = f"skipped: {exc.message}"
    return {"messages": sent}


def _call_task(action: DunningAction, lease: Lease, amount: Any) -> dict[str, Any]:
    task, _ = CallTask.objects.get_or_create(
        action=action,
        defaults={
            "organization_id": action.organization_id,
            "lease": lease,
            "customer_id": lease.customer_id,
            "project_id": lease.project_id,
            "building_id": lease.building_id,
            "stage_code": action.stage_code,
            "due_date": action.due_date,
            "amount": amount,
            "status": CallStatus.OPEN,
            "created_at": clock.now(),
        },
    )
    return {"call_task": task.pk}


def _document(action: DunningAction, lease: Lease, today: dt.date) -> dict[str, Any]:
    from anzu.documents.notices import notice_issue

    bills = list(Bill.objects.filter(pk__in=action.bill_ids).order_by("due_date", "id"))
    issue = notice_issue(
        lease=lease,
        kind=action.spec["document"],
        bills=bills,
        idempotency_key=f"dunning:{action.idempotency_key}",
        by=None,
        on=today,
    )
    return {"notice": issue.pk, "document": issue.document_id}


def _freeze(action: DunningAction, lease: Lease, amount: Any) -> dict[str, Any]:
    made = []
    for kind in action.spec.get("kinds", ["door_access"]):
        freeze, _ = FreezeRequest.objects.get_or_create(
            action=action,
            kind=kind,
            defaults={
                "organization_id": action.organization_id,
                "lease": lease,
                "customer_id": lease.customer_id,
                "amount": amount,
                "status": FreezeStatus.REQUESTED,
                "created_at": clock.now(),
            },
        )
        made.append(freeze.pk)
    return {"freeze_requests": made}


def _settlement(action: DunningAction, lease: Lease, today: dt.date) -> dict[str, Any]:
    from anzu.billing.settlement.services import settlement_open

    case = settlement_open(
        lease=lease,
        by=None,
        source="dunning",
        reason=f"逾期{(today - action.due_date).days}天未缴（{action.stage_code}）",
    )
    return {"settlement": case.pk}


def _perform(action: DunningAction, today: dt.date) -> dict[str, Any]:
    lease = Lease.objects.select_related(
        "customer", "project", "building", "unit", "organization"
    ).get(pk=action.lease_id)
    amount = guards.outstanding_of(action.bill_ids)
    if action.kind == ActionKind.NOTIFY:
        return _notify(action, lease, today, amount)
    if action.kind == ActionKind.CALL_TASK:
        return _call_task(action, lease, amount)
    if action.kind == ActionKind.DOCUMENT:
        return _document(action, lease, today)
    if action.kind == ActionKind.FREEZE:
        return _freeze(action, lease, amount)
    if action.kind == ActionKind.SETTLEMENT:
        return _settlement(action, lease, today)
    raise ValueError(f"unknown action kind {action.kind!r}")


def _skip(action: DunningAction, reason: str) -> None:
    """Record, in the caller's transaction, that a guard stopped the action."""
    action.status = ActionStatus.SKIPPED
    action.result = {"skipped": reason}
    action.executed_at = clock.now()
    action.save(update_fields=["status", "result", "executed_at"])
    audit.record(
        action="dunning.action_skip",
        obj=action,
        organization=action.organization_id,
        actor=None,
        changes={"stage": action.stage_code, "kind": action.kind, "reason": reason},
    )


def action_execute(*, action_id: int, today: dt.date | None = None) -> str:
    """Execute one pending action (idempotent: anything but pending is left alone)."""
    today = today or clock.today()
    with transaction.atomic():
        action = (
            DunningAction.objects.select_for_update()
            .select_related("policy_version")
            .filter(pk=action_id)
            .first()
        )
        if action is None or action.status not in (ActionStatus.PENDING, ActionStatus.FAILED):
            return action.status if action else "missing"
        now = clock.now()
        reason = guards.reason_to_skip(action, today=today)
        if reason is not None:
            _skip(action, reason)
            return ActionStatus.SKIPPED
        action.attempts += 1
        try:
            with transaction.atomic():
                result = _perform(action, today)
        except Exception as exc:
            log.warning("dunning action %s failed: %s", action.pk, exc)
            action.status = ActionStatus.FAILED
            action.error = str(getattr(exc, "message", exc))[:2000]
            delay = BACKOFF_SECONDS * 2 ** (action.attempts - 1)
            action.next_attempt_at = (
                now + dt.timedelta(seconds=delay) if action.attempts < MAX_ATTEMPTS else None
            )
            action.save(update_fields=["status", "error", "attempts", "next_attempt_at"])
            return ActionStatus.FAILED
        action.status = ActionStatus.DONE
        action.result = result
        action.error = ""
        action.executed_at = now
        action.save(update_fields=["status", "result", "error", "attempts", "executed_at"])
        audit.record(
            action="dunning.action_execute",
            obj=action,
            organization=action.organization_id,
            actor=None,
            changes={"stage": action.stage_code, "kind": action.kind, "result": result},
        )
    return ActionStatus.DONE


def execute_pending(
    *, limit: int = 500, today: dt.date | None = None, organization_id: int | None = None
) -> dict[str, int]:
    """Execute due actions of one organization (or all): pending ones, and failed ones whose
    backoff has passed."""
    now = clock.now()
    base = DunningAction.objects.all()
    if organization_id is not None:
        base = base.filter(organization_id=organization_id)
    ids = list(
        base.filter(status=ActionStatus.PENDING).order_by("id").values_list("id", flat=True)[:limit]
    )
    if len(ids) < limit:
        ids += list(
            base.filter(status=ActionStatus.FAILED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[: limit - len(ids)]
        )
    counts: dict[str, int] = {}
    for action_id in ids:
        status = action_execute(action_id=action_id, today=today)
        counts[status] = counts.get(status, 0) + 1
    return counts


def actions_recheck_for_lease(*, lease_id: int, today: dt.date | None = None) -> int:
    """After a payment (or a pause, promise or exemption): skip what no longer holds.

    Pending actions whose guard now fails are skipped; open call tasks and freeze requests for
    bills now paid are cancelled. Returns the number of actions skipped.
    """
    today = today or clock.today()
    skipped = 0
    for action_id in DunningAction.objects.filter(
        lease_id=lease_id, status__in=(ActionStatus.PENDING, ActionStatus.FAILED)
    ).values_list("id", flat=True):
        with transaction.atomic():
            action = (
                DunningAction.objects.select_for_update()
                .select_related("policy_version")
                .get(pk=action_id)
            )
            if action.status not in (ActionStatus.PENDING, ActionStatus.FAILED):
                continue
            reason = guards.reason_to_skip(action, today=today)
            if reason is None:
                continue
            _skip(action, reason)
            skipped += 1
    now = clock.now()
    with transaction.atomic():
        for task in CallTask.objects.select_for_update().filter(
            lease_id=lease_id, status=CallStatus.OPEN
        ):
            if task.action is not None and guards.outstanding_of(task.action.bill_ids) <= 0:
                task.status = CallStatus.CANCELLED
                task.note = (task.note + "\n" if task.note else "") + "已缴清，自动取消。"
                task.completed_at = now
                task.save(update_fields=["status", "note", "completed_at"])
        for freeze in FreezeRequest.objects.select_for_update().filter(
            lease_id=lease_id, status=FreezeStatus.REQUESTED
        ):
            if freeze.action is not None and guards.outstanding_of(freeze.action.bill_ids) <= 0:
                freeze.status = FreezeStatus.CANCELLED
                freeze.reason = "已缴清"
                freeze.decided_at = now
                freeze.save(update_fields=["status", "reason", "decided_at"])
    return skipped
