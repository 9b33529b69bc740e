"""Writes of the lifecycle board: renewal follow-up, renewal leases, calendar tokens, and the
daily expiry notices."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import translation

from anzu.billing.schedule import add_months
from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, ValidationFailed
from anzu.contracts.models import Contract
from anzu.contracts.search.access import RENEWAL_CAPABILITY
from anzu.contracts.search.choices import NOTICE_THRESHOLDS, RenewalState
from anzu.contracts.search.models import CalendarToken, ContractRenewal
from anzu.core import access, audit
from anzu.core.choices import UserKind
from anzu.core.models import User
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease

# Who is told about expiring contracts: staff holding this capability whose scope covers the
# contract (administrators and management by default).
NOTICE_CAPABILITY = "lease.activate"


# Renewal follow-up ----------------------------------------------------------------------------


def _locked_renewal(contract: Contract) -> ContractRenewal | None:
    Contract.objects.select_for_update().filter(pk=contract.pk).first()
    return ContractRenewal.objects.select_for_update().filter(contract=contract).first()


def renewal_mark(
    *,
    contract: Contract,
    state: Any,
    note: Any = "",
    by: User,
    expected_version: int | None = None,
) -> ContractRenewal:
    """Record where the renewal of a contract stands (audited)."""
    access.require(by, RENEWAL_CAPABILITY)
    state = v.choice(state, field="state", choices=RenewalState.choices)
    note = v.text(note, field="note", max_length=2000, required=False)
    if contract.terminated_on is not None:
        raise Conflict("terminated", "The contract is terminated.", field="state")
    with transaction.atomic():
        renewal = _locked_renewal(contract)
        if (
            expected_version is not None
            and renewal is not None
            and renewal.version != expected_version
        ):
            raise Conflict(
                "stale",
                "The renewal was changed by someone else; reload and try again.",
                field="version",
            )
        before: dict[str, Any] = {}
        if renewal is None:
            renewal = ContractRenewal(
                organization_id=contract.organization_id, contract=contract, version=0
            )
        else:
            before = {"state": renewal.state, "note": renewal.note}
        renewal.state = state
        renewal.note = note
        renewal.version += 1
        renewal.updated_by = by
        renewal.updated_at = clock.now()
        renewal.save()
        audit.record(
            action="contract.renewal_mark",
            obj=contract,
            organization=contract.organization_id,
            actor=by,
            changes=audit.diff(before, {"state": state, "note": note}),
        )
    return renewal


def renewal_terms(contract: Contract) -> dict[str, Any]:
    """The next term of the contract's lease: starts the day after it ends, same length
    (12 months when the old term is not a whole number of months), same rent and terms."""
    lease = contract.lease
    if lease is None:
        raise ValidationFailed(
            "no_lease", "The contract is not linked to a lease.", field="contract_id"
        )
    after_end = lease.end_date + dt.timedelta(days=1)
    months = (
        (after_end.year - lease.start_date.year) * 12 + after_end.month - lease.start_date.month
    )
    if months <= 0 or add_months(lease.start_date, months) != after_end:
        months = 12
    start = after_end
    end = add_months(start, months) - dt.timedelta(days=1)
    return {
        "unit_id": lease.unit_id,
        "customer_id": lease.customer_id,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "monthly_rent": str(lease.monthly_rent),
        "deposit_months": lease.deposit_months,
        "pay_months": lease.pay_months,
        "due_day_rule": lease.due_day_rule,
        "due_day_value": lease.due_day_value,
        "late_fee_daily_rate": str(lease.late_fee_daily_rate),
        "late_fee_grace_days": lease.late_fee_grace_days,
        "allows_access_freeze": lease.allows_access_freeze,
        "notes": f"续租 {lease.code}",
    }


def renewal_draft_lease(
    *, contract: Contract, by: User, overrides: dict[str, Any] | None = None
) -> ContractRenewal:
    """Create the draft renewal lease (through ``lease_create``) and link it (audited)."""
    from anzu.leasing.services import lease_create

    access.require(by, RENEWAL_CAPABILITY)
    if contract.terminated_on is not None:
        raise Conflict("terminated", "The contract is terminated.", field="contract_id")
    data = renewal_terms(contract)
    data.update(overrides or {})
    with transaction.atomic():
        renewal = _locked_renewal(contract)
        if renewal is not None and (
            renewal.renewal_lease_id is not None or renewal.renewal_approval_id is not None
        ):
            raise Conflict(
                "already_drafted",
                "A renewal lease was already drafted for this contract.",
                field="contract_id",
                renewal_lease_id=renewal.renewal_lease_id,
                renewal_approval_id=renewal.renewal_approval_id,
            )
        result = lease_create(by=by, data=data)
        before = {"state": renewal.state if renewal else None}
        if renewal is None:
            renewal = ContractRenewal(
                organization_id=contract.organization_id, contract=contract, version=0
            )
        after: dict[str, Any] = {"state": RenewalState.RENEWING.value}
        if isinstance(result, Lease):
            renewal.renewal_lease = result
            after["renewal_lease"] = result.pk
        else:
            # Lease creation waits for a second person's approval.
            renewal.renewal_approval_id = result.pk
            after["renewal_approval"] = result.pk
        renewal.proposed_start = dt.date.fromisoformat(data["start_date"])
        renewal.state = RenewalState.RENEWING
        renewal.version += 1
        renewal.updated_by = by
        renewal.updated_at = clock.now()
        renewal.save()
        audit.record(
            action="contract.renewal_draft_lease",
            obj=contract,
            organization=contract.organization_id,
            actor=by,
            changes=audit.diff(before, after),
        )
    return renewal


def renewal_lease_id(renewal: ContractRenewal, contract: Contract) -> int | None:
    """The renewal lease: linked directly, or — after an approved request — the lease of the
    same unit and customer starting on the proposed date."""
    if renewal.renewal_lease_id is not None:
        return renewal.renewal_lease_id
    if (
        renewal.renewal_approval_id is None
        or renewal.proposed_start is None
        or contract.lease is None
    ):
        return None
    return (
        Lease.objects.filter(
            organization_id=contract.organization_id,
            unit_id=contract.lease.unit_id,
            customer_id=contract.lease.customer_id,
            start_date=renewal.proposed_start,
        )
        .exclude(status=LeaseStatus.VOID)
        .values_list("pk", flat=True)
        .first()
    )


# Calendar tokens --------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def calendar_token_issue(*, by: User, language: str | None = None) -> str:
    """A new feed token for the caller (the previous one stops working); returns it once."""
    from anzu.contracts.search.access import require_view

    require_view(by)
    language = language or translation.get_language() or "zh-hans"
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        now = clock.now()
        User.objects.select_for_update().filter(pk=by.pk).first()
        revoked = CalendarToken.objects.filter(user=by, revoked_at__isnull=True).update(
            revoked_at=now
        )
        row = CalendarToken.objects.create(
            organization_id=access.org_id(by),
            user=by,
            token_hash=token_hash(token),
            language="en" if language.startswith("en") else "zh-hans",
            created_at=now,
        )
        audit.record(
            action="contract_calendar.token_issue",
            obj=row,
            organization=row.organization_id,
            actor=by,
            changes={"revoked_previous": [None, revoked]},
        )
    return token


def calendar_token_revoke(*, by: User) -> int:
    """Revoke the caller's feed token; returns how many were live (0 or 1)."""
    with transaction.atomic():
        now = clock.now()
        live = list(CalendarToken.objects.select_for_update().filter(user=by, revoked_at=None))
        for row in live:
            row.revoked_at = now
            row.save(update_fields=["revoked_at"])
            audit.record(
                action="contract_calendar.token_revoke",
                obj=row,
                organization=row.organization_id,
                actor=by,
                changes={"revoked_at": [None, audit.snapshot(row, ["revoked_at"])["revoked_at"]]},
            )
    return len(live)


def calendar_user(token: str) -> tuple[User, CalendarToken] | None:
    """The active staff user behind a live token, or None."""
    if not token or len(token) > 200:
        return None
    row = (
        CalendarToken.objects.select_related("user")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not access.is_staff_user(row.user):
        return None
    return row.user, row


# Expiry notices -----------------------------------------------------------------------------


def threshold_for(days_left: int) -> int | None:
    """The notice due for a contract ``days_left`` days before its end: the smallest threshold
    at or above it (so a missed day still sends it), None beyond the largest."""
    due = [t for t in NOTICE_THRESHOLDS if days_left <= t]
    return min(due) if due and days_left >= 0 else None


def notice_recipients(
    organization_id: int, project_id: int | None, building_id: int | None
) -> list[int]:
    roles = access.CAPABILITIES[NOTICE_CAPABILITY]
    covered = Q(scope_all=True)
    if project_id is not None:
        covered |= Q(scopes__project_id=project_id)
    if building_id is not None:
        covered |= Q(scopes__building_id=building_id)
    return list(
        User.objects.filter(
            organization_id=organization_id,
            kind=UserKind.STAFF,
            is_active=True,
            role_grants__role__in=roles,
        )
        .filter(covered)
        .distinct()
        .order_by("id")
        .values_list("id", flat=True)
    )


def notice_key(contract: Contract, threshold: int, user_id: int) -> str:
    end = contract.end_date.isoformat() if contract.end_date else "-"
    return f"contract-expiry:{contract.pk}:{end}:{threshold}:{user_id}"


def expiry_notify_run(*, today: dt.date | None = None) -> dict[str, int]:
    """Notify the people responsible about contracts ending in 90, 60, 30 and 7 days.

    One in-app message per contract, threshold and recipient; the outbox idempotency key makes a
    second run (or a run after a missed day) send nothing twice. A contract whose end date
    changes gets fresh notices for the new date.
    """
    from anzu.maintenance.services import literal
    from anzu.notify.models import OutboxMessage
    from anzu.notify.services import outbox_enqueue

    today = today or clock.today()
    horizon = today + dt.timedelta(days=max(NOTICE_THRESHOLDS))
    contracts = (
        Contract.objects.filter(
            terminated_on__isnull=True, end_date__gte=today, end_date__lte=horizon
        )
        .select_related("unit")
        .order_by("organization_id", "end_date", "pk")
    )
    counts = {"contracts": 0, "sent": 0, "already_sent": 0}
    recipients_cache: dict[tuple[int, int | None, int | None], list[int]] = {}
    for contract in contracts.iterator(chunk_size=500):
        assert contract.end_date is not None
        days_left = (contract.end_date - today).days
        threshold = threshold_for(days_left)
        if threshold is None:
            continue
        counts["contracts"] += 1
        place = (contract.organization_id, contract.project_id, contract.building_id)
        if place not in recipients_cache:
            recipients_cache[place] = notice_recipients(*place)
        unit = f"（{contract.unit.code}）" if contract.unit is not None else ""
        subject = f"合同将于 {contract.end_date.isoformat()} 到期：{contract.title}"
        body = (
            f"合同「{contract.title}」{unit}承租方 {contract.lessee_name or '—'}，"
            f"将于 {contract.end_date.isoformat()} 到期（还剩 {days_left} 天）。"
            "请跟进续租。"
        )
        with transaction.atomic():
            for user_id in recipients_cache[place]:
                key = notice_key(contract, threshold, user_id)
                if OutboxMessage.objects.filter(
                    organization_id=contract.organization_id, idempotency_key=key
                ).exists():
                    counts["already_sent"] += 1
                    continue
                outbox_enqueue(
                    organization_id=contract.organization_id,
                    channel="in_app",
                    user_id=user_id,
                    idempotency_key=key,
                    subject=literal(subject),
                    body=literal(body),
                    payload={"contract_id": contract.pk, "days_left": days_left},
                )
                counts["sent"] += 1
    return counts
