"""The guarded actions: the single list of what needs a checker's approval.

Each entry names the action code, who may decide it by default, how its precondition version is
read and how the approved command is executed. Services call :func:`anzu.risk.approvals.guard.
guard` with the same code; the enumeration test walks this registry, so a guarded action added
here without its test case fails the suite.

Domain modules are imported inside the functions: the domain services import the guard, and the
guard must not import them back at module load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from anzu.core.models import User


def fingerprint(value: Any) -> str:
    """A short stable hash of a JSON-able value (used as a precondition version)."""
    data = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class GuardedAction:
    code: str
    label: str | Promise
    checker_capability: str
    precondition: Callable[[dict[str, Any], int], str]
    execute: Callable[[Any, User], dict[str, Any]]
    default_conditions: dict[str, Any] = field(default_factory=lambda: {"always": True})
    default_checkers: int = 1


# Preconditions ------------------------------------------------------------------------------


def _lease_version(args: dict[str, Any], organization_id: int) -> str:
    from anzu.leasing.models import Lease

    lease = Lease.objects.filter(pk=args["lease_id"], organization_id=organization_id).first()
    return "missing" if lease is None else f"lease:{lease.pk}:v{lease.version}"


def _unit_leases(args: dict[str, Any], organization_id: int) -> str:
    from anzu.leasing.choices import LeaseStatus
    from anzu.leasing.models import Lease

    rows = list(
        Lease.objects.filter(unit_id=args["data"].get("unit_id"), organization_id=organization_id)
        .exclude(status=LeaseStatus.VOID)
        .order_by("id")
        .values_list("id", "version")
    )
    return f"unit-leases:{fingerprint(rows)}"


def _deposit_held(args: dict[str, Any], organization_id: int) -> str:
    from anzu.billing.services import deposit_balance
    from anzu.leasing.models import Lease

    if not Lease.objects.filter(pk=args["lease_id"], organization_id=organization_id).exists():
        return "missing"
    return f"deposit-held:{deposit_balance(args['lease_id'])}"


def _payment_credit(args: dict[str, Any], organization_id: int) -> str:
    from anzu.billing.models import Payment

    payment = Payment.objects.filter(pk=args["payment_id"], organization_id=organization_id).first()
    return "missing" if payment is None else f"credit:{payment.unallocated}"


def _bill_state(args: dict[str, Any], organization_id: int) -> str:
    from anzu.billing.models import Bill

    bill = Bill.objects.filter(pk=args["bill_id"], organization_id=organization_id).first()
    if bill is None:
        return "missing"
    return f"bill:{bill.amount}:{bill.paid_amount}:{bill.status}"


def _freeze_state(args: dict[str, Any], organization_id: int) -> str:
    from anzu.billing.dunning import guards
    from anzu.billing.dunning.models import FreezeRequest

    freeze = (
        FreezeRequest.objects.filter(pk=args["freeze_id"], organization_id=organization_id)
        .select_related("action")
        .first()
    )
    if freeze is None:
        return "missing"
    owed = guards.outstanding_of(freeze.action.bill_ids) if freeze.action is not None else ""
    return f"freeze:{freeze.status}:{owed}"


def _credit_report_rows(args: dict[str, Any], organization_id: int) -> str:
    from anzu.billing.settlement import selectors
    from anzu.billing.settlement.models import SettlementCase

    cases = SettlementCase.objects.filter(organization_id=organization_id)
    rows = selectors.credit_report_rows(cases)
    return f"credit-report:{fingerprint([[r.case.pk, str(r.owed)] for r in rows])}"


def _role_set(args: dict[str, Any], organization_id: int) -> str:
    from anzu.core.models import RoleGrant

    roles = sorted(
        RoleGrant.objects.filter(
            user_id=args["user_id"], user__organization_id=organization_id
        ).values_list("role", flat=True)
    )
    return f"roles:{fingerprint(roles)}"


def _rule_version(args: dict[str, Any], organization_id: int) -> str:
    from anzu.risk.approvals.models import ApprovalRule

    rule = ApprovalRule.objects.filter(pk=args["rule_id"], organization_id=organization_id).first()
    return "missing" if rule is None else f"rule:{rule.pk}:v{rule.version}"


# Executors: call the real service with the approved request --------------------------------


def _import_job_state(args: dict[str, Any], organization_id: int) -> str:
    from anzu.onboarding.models import ImportJob

    job = ImportJob.objects.filter(pk=args["job_id"], organization_id=organization_id).first()
    return "missing" if job is None else f"import:{job.pk}:{job.status}:{job.sha256}"


def _exec_lease_create(request: Any, maker: User) -> dict[str, Any]:
    from anzu.leasing import services
    from anzu.leasing.models import Lease

    lease = services.lease_create(by=maker, data=request.args["data"], approval=request)
    assert isinstance(lease, Lease)
    return {"object_type": "leasing.lease", "object_id": lease.pk, "code": lease.code}


def _exec_lease_activate(request: Any, maker: User) -> dict[str, Any]:
    from anzu.leasing import services
    from anzu.leasing.models import Lease

    lease = Lease.objects.get(pk=request.args["lease_id"])
    done = services.lease_activate(lease=lease, by=maker, approval=request)
    assert isinstance(done, Lease)
    return {"object_type": "leasing.lease", "object_id": done.pk, "version": done.version}


def _exec_lease_rent_change(request: Any, maker: User) -> dict[str, Any]:
    from anzu.leasing import services
    from anzu.leasing.models import Lease

    lease = Lease.objects.get(pk=request.args["lease_id"])
    done = services.lease_update(lease=lease, by=maker, data=request.args["data"], approval=request)
    assert isinstance(done, Lease)
    return {"object_type": "leasing.lease", "object_id": done.pk, "version": done.version}


def _exec_deposit_refund(request: Any, maker: User) -> dict[str, Any]:
    from anzu.billing import services
    from anzu.leasing.models import Lease

    args = request.args
    refund = services.deposit_refund(
        lease=Lease.objects.get(pk=args["lease_id"]),
        by=maker,
        channel=args["channel"],
        amount=args.get("amount"),
        reference=args.get("reference", ""),
        reason=args.get("reason", ""),
        approval=request,
    )
    return {"object_type": "billing.refund", "object_id": refund.pk, "amount": str(refund.amount)}


def _exec_credit_refund(request: Any, maker: User) -> dict[str, Any]:
    from anzu.billing import services
    from anzu.billing.models import Payment

    args = request.args
    refund = services.credit_refund(
        payment=Payment.objects.get(pk=args["payment_id"]),
        by=maker,
        amount=args["amount"],
        channel=args["channel"],
        reference=args.get("reference", ""),
        reason=args.get("reason", ""),
        approval=request,
    )
    return {"object_type": "billing.refund", "object_id": refund.pk, "amount": str(refund.amount)}


def _exec_write_off(request: Any, maker: User) -> dict[str, Any]:
    from anzu.billing import services
    from anzu.billing.models import Bill

    bill = services.bill_write_off(
        bill=Bill.objects.get(pk=request.args["bill_id"]),
        by=maker,
        reason=request.args["reason"],
        approval=request,
    )
    return {"object_type": "billing.bill", "object_id": bill.pk, "status": bill.status}


def _exec_freeze(request: Any, maker: User) -> dict[str, Any]:
    from anzu.billing.dunning import services
    from anzu.billing.dunning.models import FreezeRequest

    freeze = services.freeze_decide(
        freeze=FreezeRequest.objects.get(pk=request.args["freeze_id"]),
        by=maker,
        approve=True,
        reason=request.args.get("reason", ""),
        approval=request,
    )
    return {"object_type": "dunning.freezerequest", "object_id": freeze.pk}


def _exec_credit_report(request: Any, maker: User) -> dict[str, Any]:
    from anzu.billing.settlement import services
    from anzu.documents.choices import DocumentKind
    from anzu.documents.services import document_archive

    content = services.credit_report_export(by=maker, approval=request)
    assert isinstance(content, bytes)
    document = document_archive(
        organization_id=request.organization_id,
        kind=DocumentKind.REPORT,
        title=f"征信报送准备 #{request.pk}",
        content=content,
        content_type="text/csv; charset=utf-8",
        related=request,
        by=maker,
    )
    return {"object_type": "documents.document", "object_id": document.pk}


def _exec_role_grant(request: Any, maker: User) -> dict[str, Any]:
    from anzu.core import users

    target = User.objects.get(pk=request.args["user_id"])
    users.user_set_roles(user=target, by=maker, roles=request.args["roles"], approval=request)
    return {"object_type": "core.user", "object_id": target.pk, "roles": request.args["roles"]}


def _exec_import(request: Any, maker: User) -> dict[str, Any]:
    from anzu.onboarding import services
    from anzu.onboarding.models import ImportJob

    job = services.import_job_release(
        job=ImportJob.objects.get(pk=request.args["job_id"]), by=maker, approval=request
    )
    return {
        "object_type": "onboarding.importjob",
        "object_id": job.pk,
        "status": job.status,
        "counts": job.counts,
    }


def _exec_rule_change(request: Any, maker: User) -> dict[str, Any]:
    from anzu.risk.approvals import services
    from anzu.risk.approvals.models import ApprovalRule

    rule = services.rule_update(
        rule=ApprovalRule.objects.get(pk=request.args["rule_id"]),
        by=maker,
        data=request.args["data"],
        approval=request,
    )
    assert isinstance(rule, ApprovalRule)
    return {"object_type": "approvals.approvalrule", "object_id": rule.pk, "version": rule.version}


ACTIONS: dict[str, GuardedAction] = {
    a.code: a
    for a in (
        GuardedAction(
            "lease.create", _("Create a lease"), "lease.activate", _unit_leases, _exec_lease_create
        ),
        GuardedAction(
            "lease.activate",
            _("Activate a lease"),
            "lease.activate",
            _lease_version,
            _exec_lease_activate,
        ),
        GuardedAction(
            "lease.rent_change",
            _("Change the rent of an active lease"),
            "lease.activate",
            _lease_version,
            _exec_lease_rent_change,
        ),
        GuardedAction(
            "billing.deposit_refund",
            _("Refund a deposit"),
            "billing.write",
            _deposit_held,
            _exec_deposit_refund,
        ),
        GuardedAction(
            "billing.credit_refund",
            _("Refund a customer's credit"),
            "billing.write",
            _payment_credit,
            _exec_credit_refund,
        ),
        GuardedAction(
            "billing.write_off",
            _("Write off a bill"),
            "billing.write",
            _bill_state,
            _exec_write_off,
        ),
        GuardedAction(
            "dunning.freeze",
            _("Approve an access or parking freeze"),
            "freeze.approve",
            _freeze_state,
            _exec_freeze,
        ),
        GuardedAction(
            "settlement.credit_report",
            _("Export the credit-report preparation file"),
            "settlement.approve",
            _credit_report_rows,
            _exec_credit_report,
        ),
        GuardedAction(
            "core.role_grant",
            _("Grant or change a user's roles"),
            "users.manage",
            _role_set,
            _exec_role_grant,
        ),
        GuardedAction(
            "onboarding.import",
            _("Import units, customers and leases from a file"),
            "lease.activate",
            _import_job_state,
            _exec_import,
        ),
        GuardedAction(
            "approvals.rule_change",
            _("Change an approval rule"),
            "approvals.rules",
            _rule_version,
            _exec_rule_change,
        ),
    )
}

# Human-readable labels of the fields a diff names (translated when shown).
FIELD_LABELS: dict[str, str | Promise] = {
    "unit": _("Unit"),
    "customer": _("Customer"),
    "code": _("Lease number"),
    "status": _("Status"),
    "start_date": _("Start date"),
    "end_date": _("End date"),
    "monthly_rent": _("Monthly rent"),
    "deposit": _("Deposit"),
    "deposit_months": _("Deposit months"),
    "pay_months": _("Months per payment"),
    "escalation_pct": _("Escalation %"),
    "escalation_every_months": _("Escalation interval (months)"),
    "lease": _("Lease"),
    "amount": _("Amount"),
    "channel": _("Channel"),
    "reason": _("Reason"),
    "reference": _("Reference"),
    "deposit_held": _("Deposit held"),
    "credit": _("Unallocated credit"),
    "payment": _("Payment"),
    "bill": _("Bill"),
    "outstanding": _("Outstanding"),
    "freeze": _("Freeze"),
    "kind": _("Kind"),
    "rows": _("Rows"),
    "amount_owed": _("Amount owed"),
    "user": _("User"),
    "roles": _("Roles"),
    "conditions": _("Conditions"),
    "checkers_required": _("Checkers required"),
    "checker_capability": _("Checker capability"),
    "active": _("Active"),
    "file_name": _("File"),
    "size": _("Size (bytes)"),
    "sha256": _("SHA-256"),
    "partial": _("Import the valid rows only"),
}


def get(code: str) -> GuardedAction:
    return ACTIONS[code]


def amount_of(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))
