"""Writes of the dunning app that people make: promises, pauses, exemptions, calls, freezes.

Each one changes what the engine computes from then on; none edits a stored transition. After
the write commits, the lease's pending actions are re-checked (``actions_recheck_for_lease``)
so a promise or a pause stops what was already queued.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import transaction

from anzu.billing.dunning.choices import (
    DEFAULT_EXEMPT_TAG,
    OUTCOME_TAGS,
    CallOutcome,
    CallStatus,
    FreezeStatus,
)
from anzu.billing.dunning.models import CallTask, DunningPause, FreezeRequest, PaymentPromise
from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, ValidationFailed
from anzu.common.money import to_money
from anzu.core import access, audit
from anzu.core.models import User
from anzu.leasing.models import Customer, Lease
from anzu.risk.approvals.guard import guard
from anzu.risk.approvals.models import ApprovalRequest

MAX_PROMISE_DAYS = 60
MAX_PAUSE_DAYS = 180


def _recheck_after_commit(lease_id: int) -> None:
    from anzu.billing.dunning import tasks

    transaction.on_commit(functools.partial(tasks.recheck_lease, lease_id))


def _require_any(by: User, *capabilities: str) -> None:
    if not any(access.can(by, c) for c in capabilities):
        access.require(by, capabilities[0])


# Promises to pay --------------------------------------------------------------------------------


def promise_create(
    *,
    lease: Lease,
    by: User,
    amount: Any,
    promised_date: Any,
    note: str = "",
    call_task: CallTask | None = None,
) -> PaymentPromise:
    """Record a promise to pay: the ladder pauses until the promised date, then resumes."""
    _require_any(by, "calls.work", "dunning.manage")
    money = to_money(amount, field="amount", allow_zero=False)
    date = v.date(promised_date, field="promised_date")
    assert date is not None
    today = clock.today()
    if date < today:
        raise ValidationFailed(
            "in_past", "The promised date is in the past.", field="promised_date"
        )
    if (date - today).days > MAX_PROMISE_DAYS:
        raise ValidationFailed(
            "too_far",
            f"A promise may run at most {MAX_PROMISE_DAYS} days; agree a pause instead.",
            field="promised_date",
        )
    note = v.text(note, field="note", max_length=300, required=False)
    with transaction.atomic():
        promise = PaymentPromise.objects.create(
            organization_id=lease.organization_id,
            lease=lease,
            amount=money,
            made_on=today,
            promised_date=date,
            note=note,
            call_task=call_task,
            created_by=by,
        )
        audit.record(
            action="dunning.promise",
            obj=promise,
            organization=lease.organization_id,
            actor=by,
            changes={"lease": lease.pk, "amount": money, "promised_date": date, "note": note},
        )
        _recheck_after_commit(lease.pk)
    return promise


def _interval_cancel(model: Any, pk: int, *, by: User, action: str, already: str) -> Any:
    """Cancel a promise or a pause: the ladder computes as if it never held from now on."""
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=pk)
        if locked.cancelled_at is not None:
            raise Conflict("cancelled", already)
        locked.cancelled_at = clock.now()
        locked.save(update_fields=["cancelled_at"])
        audit.record(
            action=action,
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"lease": locked.lease_id},
        )
    return locked


def promise_cancel(*, promise: PaymentPromise, by: User) -> PaymentPromise:
    _require_any(by, "calls.work", "dunning.manage")
    return _interval_cancel(  # type: ignore[no-any-return]
        PaymentPromise,
        promise.pk,
        by=by,
        action="dunning.promise_cancel",
        already="The promise is already cancelled.",
    )


def promise_state(promise: PaymentPromise, *, today: dt.date, paid_since: Any) -> str:
    """open (running), kept (paid at least the amount by the date), broken, cancelled."""
    if promise.cancelled_at is not None:
        return "cancelled"
    if paid_since >= promise.amount:
        return "kept"
    return "open" if today <= promise.promised_date else "broken"


# Pauses -----------------------------------------------------------------------------------------


def pause_create(*, lease: Lease, by: User, start: Any, end: Any, reason: str) -> DunningPause:
    access.require(by, "dunning.manage")
    first = v.date(start, field="start")
    last = v.date(end, field="end")
    assert first is not None and last is not None
    if last < first:
        raise ValidationFailed("invalid", "The pause ends before it starts.", field="end")
    if (last - first).days > MAX_PAUSE_DAYS:
        raise ValidationFailed(
            "too_long", f"A pause may last at most {MAX_PAUSE_DAYS} days.", field="end"
        )
    reason = v.text(reason, field="reason", max_length=300)
    with transaction.atomic():
        pause = DunningPause.objects.create(
            organization_id=lease.organization_id,
            lease=lease,
            start=first,
            end=last,
            reason=reason,
            created_by=by,
        )
        audit.record(
            action="dunning.pause",
            obj=pause,
            organization=lease.organization_id,
            actor=by,
            changes={"lease": lease.pk, "start": first, "end": last, "reason": reason},
        )
        _recheck_after_commit(lease.pk)
    return pause


def pause_cancel(*, pause: DunningPause, by: User) -> DunningPause:
    access.require(by, "dunning.manage")
    return _interval_cancel(  # type: ignore[no-any-return]
        DunningPause,
        pause.pk,
        by=by,
        action="dunning.pause_cancel",
        already="The pause is already cancelled.",
    )


# Exemption --------------------------------------------------------------------------------------


def exemption_set(*, customer: Customer, by: User, exempt: bool, reason: str = "") -> Customer:
    """Add or remove the exemption tag (免催缴) on a customer."""
    access.require(by, "dunning.manage")
    reason = v.text(reason, field="reason", max_length=300, required=exempt)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        tags = list(locked.tags or [])
        before = list(tags)
        if exempt and DEFAULT_EXEMPT_TAG not in tags:
            tags.append(DEFAULT_EXEMPT_TAG)
        if not exempt:
            tags = [t for t in tags if t != DEFAULT_EXEMPT_TAG]
        if tags != before:
            locked.tags = tags
            locked.save(update_fields=["tags", "updated_at"])
        audit.record(
            action="dunning.exemption",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"exempt": exempt, "reason": reason, "tags": [before, tags]},
        )
        for lease_id in Lease.objects.filter(customer=locked).values_list("id", flat=True):
            _recheck_after_commit(lease_id)
    return locked


# Call tasks -------------------------------------------------------------------------------------


def call_complete(
    *,
    call: CallTask,
    by: User,
    outcome: Any,
    note: str = "",
    promise_amount: Any = None,
    promised_date: Any = None,
) -> CallTask:
    """Record a call's outcome; it becomes a customer tag; optionally a promise to pay."""
    access.require(by, "calls.work")
    outcome = v.choice(outcome, field="outcome", choices=CallOutcome.choices)
    note = v.text(note, field="note", max_length=2000, required=False)
    wants_promise = promise_amount not in (None, "") or promised_date not in (None, "")
    if wants_promise:
        if promise_amount in (None, ""):
            raise ValidationFailed("required", "Enter the promised amount.", field="promise_amount")
        if promised_date in (None, ""):
            raise ValidationFailed("required", "Enter the promised date.", field="promised_date")
        to_money(promise_amount, field="promise_amount", allow_zero=False)
    with transaction.atomic():
        locked = CallTask.objects.select_for_update().get(pk=call.pk)
        if locked.status != CallStatus.OPEN:
            raise Conflict("not_open", "This call is already done or cancelled.", field="status")
        tag = OUTCOME_TAGS[outcome]
        customer = Customer.objects.select_for_update().get(pk=locked.customer_id)
        tags = list(customer.tags or [])
        if tag not in tags:
            customer.tags = [*tags, tag]
            customer.save(update_fields=["tags", "updated_at"])
        locked.status = CallStatus.DONE
        locked.outcome = outcome
        locked.note = note
        locked.completed_by = by
        locked.completed_at = clock.now()
        locked.save(update_fields=["status", "outcome", "note", "completed_by", "completed_at"])
        audit.record(
            action="dunning.call_complete",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"outcome": outcome, "tag": tag, "note": note},
        )
        if wants_promise:
            try:
                promise_create(
                    lease=Lease.objects.get(pk=locked.lease_id),
                    by=by,
                    amount=promise_amount,
                    promised_date=promised_date,
                    note=note[:300],
                    call_task=locked,
                )
            except ValidationFailed as exc:
                field = {"amount": "promise_amount"}.get(exc.field or "", exc.field)
                raise ValidationFailed(exc.code, exc.message, field=field) from None
    return locked


def call_assign(*, call: CallTask, by: User, to: User | None) -> CallTask:
    access.require(by, "calls.work")
    if to is not None and (
        to.organization_id != call.organization_id or not access.can(to, "calls.work")
    ):
        raise ValidationFailed(
            "invalid", "This person cannot work the call queue.", field="assigned_to"
        )
    with transaction.atomic():
        locked = CallTask.objects.select_for_update().get(pk=call.pk)
        locked.assigned_to = to
        locked.save(update_fields=["assigned_to"])
        audit.record(
            action="dunning.call_assign",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"assigned_to": to.pk if to else None},
        )
    return locked


# Freezes ----------------------------------------------------------------------------------------


def freeze_decide(
    *,
    freeze: FreezeRequest,
    by: User,
    approve: bool,
    reason: str = "",
    approval: ApprovalRequest | None = None,
) -> FreezeRequest | ApprovalRequest:
    """A named person approves or rejects a freeze. Approval re-checks that it still holds.

    Approving is guarded (``dunning.freeze``): the person's approval becomes an approval
    request that a second person (never the first, no role excepted) must confirm before the
    freeze takes effect. Rejecting a freeze is not coercive and happens at once.
    """
    access.require(by, "freeze.approve")
    reason = v.text(reason, field="reason", max_length=300, required=not approve)
    from anzu.billing.dunning import guards

    if approve:
        current = FreezeRequest.objects.select_related("lease").get(pk=freeze.pk)
        if current.status != FreezeStatus.REQUESTED:
            raise Conflict(
                "already_decided",
                f"This freeze is already {current.get_status_display()}.",
                field="status",
            )
        pending = guard(
            "dunning.freeze",
            by=by,
            args={"freeze_id": freeze.pk, "reason": reason},
            approval=approval,
            summary=f"{current.lease.code} · {current.get_kind_display()}",
            diff=[
                ("freeze", current.status, FreezeStatus.APPROVED),
                ("kind", None, current.kind),
                ("amount", None, current.amount),
            ],
            amount=current.amount,
            obj=current,
            project_id=current.lease.project_id,
            building_id=current.lease.building_id,
        )
        if pending is not None:
            return pending

    with transaction.atomic():
        locked = (
            FreezeRequest.objects.select_for_update(of=("self",))
            .select_related("action")
            .get(pk=freeze.pk)
        )
        if locked.status != FreezeStatus.REQUESTED:
            raise Conflict(
                "already_decided",
                f"This freeze is already {locked.get_status_display()}.",
                field="status",
            )
        if approve:
            lease = Lease.objects.get(pk=locked.lease_id)
            if not lease.allows_access_freeze:
                raise Conflict(
                    "lease_forbids_freeze",
                    "The lease does not allow an access or parking freeze.",
                    field="lease",
                )
            if locked.action is not None and guards.outstanding_of(locked.action.bill_ids) <= 0:
                raise Conflict("paid", "The bills are paid; the freeze no longer applies.")
        locked.status = FreezeStatus.APPROVED if approve else FreezeStatus.REJECTED
        locked.decided_by = by
        locked.decided_at = clock.now()
        locked.reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit.record(
            action="dunning.freeze_approve" if approve else "dunning.freeze_reject",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"lease": locked.lease_id, "kind": locked.kind, "reason": reason},
        )
    return locked


def freeze_lift(*, freeze: FreezeRequest, by: User, reason: str) -> FreezeRequest:
    access.require(by, "freeze.approve")
    reason = v.text(reason, field="reason", max_length=300)
    with transaction.atomic():
        locked = FreezeRequest.objects.select_for_update().get(pk=freeze.pk)
        if locked.status != FreezeStatus.APPROVED:
            raise Conflict("not_active", "Only an approved freeze can be lifted.", field="status")
        locked.status = FreezeStatus.LIFTED
        locked.lifted_at = clock.now()
        locked.reason = reason
        locked.save(update_fields=["status", "lifted_at", "reason"])
        audit.record(
            action="dunning.freeze_lift",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"lease": locked.lease_id, "reason": reason},
        )
    return locked
