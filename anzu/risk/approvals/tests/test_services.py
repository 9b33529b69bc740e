"""Approval services: stale requests, rejection, distinct checkers, exclusions, tokens, rules,
reassignment of a frozen account's approvals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import lease_data, make_user
from anzu.core.models import AuditEvent
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals import services
from anzu.risk.approvals.guard import ApprovalInvalid, executing, rule_for
from anzu.risk.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalRule
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin2(org: Any) -> Any:
    return make_user(org, "admin", username="admin2")


@pytest.fixture
def draft(portfolio: dict[str, Any], clerk: Any) -> Lease:
    data = lease_data(portfolio["u1"], portfolio["customer"])
    return approve_as(leasing_services.lease_create(by=clerk, data=data))


def _events(request: ApprovalRequest) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="approvals.approvalrequest", object_id=str(request.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_guarded_create_returns_a_request_with_command_diff_and_precondition(portfolio, clerk):
    data = lease_data(portfolio["u2"], portfolio["customer"], monthly_rent="4100.00")
    request = leasing_services.lease_create(by=clerk, data=data)
    assert isinstance(request, ApprovalRequest)
    assert not Lease.objects.exists()
    assert request.args == {"data": {**data, "monthly_rent": "4100.00"}}
    assert request.status == "pending"
    assert request.maker == clerk
    assert request.precondition.startswith("unit-leases:")
    assert ["monthly_rent", None, "4100.00"] in request.diff
    assert request.amount == Decimal("4100.00")
    assert _events(request) == ["approval.request"]


def test_stale_request_executes_nothing(draft, clerk, manager):
    leasing_services.lease_submit(lease=draft, by=clerk)
    request = leasing_services.lease_activate(lease=Lease.objects.get(pk=draft.pk), by=clerk)
    # Someone changes the lease after the request was made: its version moves on.
    leasing_services.lease_return_to_draft(lease=Lease.objects.get(pk=draft.pk), by=manager)
    leasing_services.lease_submit(lease=Lease.objects.get(pk=draft.pk), by=clerk)
    with pytest.raises(Conflict) as err:
        services.request_approve(request=request, by=manager)
    assert err.value.code == "stale_request"
    request.refresh_from_db()
    assert request.status == "stale"
    assert Lease.objects.get(pk=draft.pk).status == "pending_approval"
    assert _events(request) == ["approval.request", "approval.approve", "approval.stale"]


def test_rejection_needs_a_reason_and_changes_nothing(draft, clerk, manager):
    leasing_services.lease_submit(lease=draft, by=clerk)
    request = leasing_services.lease_activate(lease=Lease.objects.get(pk=draft.pk), by=clerk)
    with pytest.raises(ValidationFailed) as err:
        services.request_reject(request=request, by=manager, reason="  ")
    assert (err.value.code, err.value.field) == ("required", "reason")
    request.refresh_from_db()
    assert request.status == "pending"
    assert not ApprovalDecision.objects.filter(request=request).exists()
    services.request_reject(request=request, by=manager, reason="租金低于指导价")
    request.refresh_from_db()
    assert (request.status, request.reason) == ("rejected", "租金低于指导价")
    assert Lease.objects.get(pk=draft.pk).status == "pending_approval"
    assert _events(request)[-1] == "approval.reject"
    with pytest.raises(Conflict) as again:
        services.request_approve(request=request, by=manager)
    assert again.value.code == "not_pending"


def test_the_maker_never_decides_even_as_superuser_admin(portfolio, org):
    root = make_user(org, "admin", "management", username="root", is_superuser=True)
    request = leasing_services.lease_create(
        by=root, data=lease_data(portfolio["u2"], portfolio["customer"])
    )
    with pytest.raises(PermissionDenied):
        services.request_approve(request=request, by=root)
    with pytest.raises(PermissionDenied):
        services.request_reject(request=request, by=root, reason="x")
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_the_creator_of_a_lease_never_approves_its_activation(draft, clerk, manager):
    leasing_services.lease_submit(lease=draft, by=clerk)
    # The manager asks; the clerk created the lease and may not be the checker.
    request = leasing_services.lease_activate(lease=Lease.objects.get(pk=draft.pk), by=manager)
    assert request.excluded_checkers == [clerk.pk]
    with pytest.raises(PermissionDenied):
        services.request_approve(request=request, by=clerk)
    assert Lease.objects.get(pk=draft.pk).status == "pending_approval"


def test_a_checker_needs_the_rules_capability(portfolio, clerk, org):
    finance = make_user(org, "finance", username="fin")
    request = leasing_services.lease_create(
        by=clerk, data=lease_data(portfolio["u2"], portfolio["customer"])
    )
    with pytest.raises(PermissionDenied):
        services.request_approve(request=request, by=finance)


def test_two_checkers_must_be_distinct_and_a_rule_change_is_approved_too(
    portfolio, clerk, manager, admin_user, admin2
):
    rule = rule_for(portfolio["p1"].organization_id, "lease.create")
    change = services.rule_update(rule=rule, by=admin_user, data={"checkers_required": 2})
    assert isinstance(change, ApprovalRequest)
    assert ApprovalRule.objects.get(pk=rule.pk).checkers_required == 1
    pending_before = leasing_services.lease_create(
        by=clerk, data=lease_data(portfolio["u3"], portfolio["customer"])
    )
    services.request_approve(request=change, by=admin2)
    rule.refresh_from_db()
    assert (rule.checkers_required, rule.version) == (2, 2)
    # A request made under the old rule keeps it: one checker still suffices for it.
    assert approve_as(pending_before, manager).unit == portfolio["u3"]

    request = leasing_services.lease_create(
        by=clerk, data=lease_data(portfolio["u2"], portfolio["customer"])
    )
    assert (request.checkers_required, request.rule_version) == (2, 2)
    services.request_approve(request=request, by=manager)
    with pytest.raises(Conflict) as err:
        services.request_approve(request=request, by=manager)
    assert err.value.code == "already_decided"
    request.refresh_from_db()
    assert request.status == "pending"
    assert not Lease.objects.filter(unit=portfolio["u2"]).exists()
    services.request_approve(request=request, by=admin2)
    request.refresh_from_db()
    assert request.status == "executed"
    assert Lease.objects.filter(unit=portfolio["u2"]).exists()


def test_the_rule_for_rules_cannot_be_switched_off(admin_user, org):
    rule = rule_for(org.pk, "approvals.rule_change")
    with pytest.raises(ValidationFailed) as err:
        services.rule_update(rule=rule, by=admin_user, data={"active": False})
    assert err.value.field == "active"
    with pytest.raises(ValidationFailed) as bad:
        services.rule_update(rule=rule, by=admin_user, data={"checkers_required": 4})
    assert bad.value.field == "checkers_required"
    with pytest.raises(ValidationFailed) as bad:
        services.rule_update(rule=rule, by=admin_user, data={"conditions": {"when": "never"}})
    assert bad.value.field == "conditions"


def test_below_the_amount_threshold_the_action_runs_at_once(portfolio, clerk, admin_user, admin2):
    rule = rule_for(portfolio["p1"].organization_id, "lease.create")
    approve_as(
        services.rule_update(
            rule=rule, by=admin_user, data={"conditions": {"amount_gte": "5000.00"}}
        ),
        admin2,
    )
    cheap = leasing_services.lease_create(
        by=clerk, data=lease_data(portfolio["u1"], portfolio["customer"], monthly_rent="4999.99")
    )
    assert isinstance(cheap, Lease)
    dear = leasing_services.lease_create(
        by=clerk, data=lease_data(portfolio["u2"], portfolio["customer"], monthly_rent="5000.00")
    )
    assert isinstance(dear, ApprovalRequest)


def test_a_service_refuses_an_approval_it_is_not_executing(portfolio, clerk, manager):
    data = lease_data(portfolio["u2"], portfolio["customer"])
    request = leasing_services.lease_create(by=clerk, data=data)
    # Passing the pending request directly does not execute anything.
    with pytest.raises(ApprovalInvalid):
        leasing_services.lease_create(by=clerk, data=data, approval=request)
    done = services.request_approve(request=request, by=manager)
    assert done.status == "executed"
    # An executed approval cannot run again, nor for another command.
    with transaction.atomic(), executing(done), pytest.raises(ApprovalInvalid):
        leasing_services.lease_create(by=clerk, data=data, approval=done)
    other = lease_data(portfolio["u3"], portfolio["customer"])
    with transaction.atomic(), executing(done), pytest.raises(ApprovalInvalid):
        leasing_services.lease_create(by=clerk, data=other, approval=done)
    assert Lease.objects.count() == 1


def test_only_the_maker_cancels(portfolio, clerk, manager):
    request = leasing_services.lease_create(
        by=clerk, data=lease_data(portfolio["u2"], portfolio["customer"])
    )
    with pytest.raises(PermissionDenied):
        services.request_cancel(request=request, by=manager)
    services.request_cancel(request=request, by=clerk)
    request.refresh_from_db()
    assert (request.status, request.reason) == ("cancelled", "maker_cancelled")
    with pytest.raises(Conflict):
        services.request_approve(request=request, by=manager)


def test_reassign_from_a_frozen_account(portfolio, clerk, manager, admin_user, admin2, org):
    mine = leasing_services.lease_create(
        by=clerk, data=lease_data(portfolio["u2"], portfolio["customer"])
    )
    designated = leasing_services.lease_create(
        by=manager, data=lease_data(portfolio["u3"], portfolio["customer"])
    )
    ApprovalRequest.objects.filter(pk=designated.pk).update(assigned_to=clerk)
    rule = rule_for(org.pk, "lease.create")
    approve_as(
        services.rule_update(rule=rule, by=admin_user, data={"checkers_required": 2}), admin2
    )
    two = leasing_services.lease_create(
        by=manager, data=lease_data(portfolio["u4"], portfolio["customer"])
    )
    services.request_approve(request=two, by=clerk)

    counts = services.approvals_reassign_from(clerk, by=admin_user)
    assert counts == {"cancelled": 1, "unassigned": 1, "decisions_voided": 1}
    mine.refresh_from_db()
    designated.refresh_from_db()
    assert (mine.status, mine.reason) == ("cancelled", "maker_frozen")
    assert (designated.status, designated.assigned_to) == ("pending", None)
    # The frozen checker's approval no longer counts: two live approvals are still needed.
    services.request_approve(request=two, by=admin2)
    two.refresh_from_db()
    assert two.status == "pending"
    assert services.approvals_reassign_from(clerk, by=admin_user) == {
        "cancelled": 0,
        "unassigned": 0,
        "decisions_voided": 0,
    }


def test_rent_change_of_an_active_lease(active_lease, clerk, manager):
    lease = active_lease("u1")
    with pytest.raises(Conflict) as err:
        leasing_services.lease_update(lease=lease, by=clerk, data={"end_date": "2026-10-31"})
    assert (err.value.code, err.value.field) == ("not_editable", "end_date")
    request = leasing_services.lease_update(
        lease=lease,
        by=clerk,
        data={"monthly_rent": "3500.00", "start_date": "2026-01-01"},
        expected_version=lease.version,
    )
    assert isinstance(request, ApprovalRequest)
    assert request.args == {"lease_id": lease.pk, "data": {"monthly_rent": "3500.00"}}
    assert request.diff == [["monthly_rent", "3200.00", "3500.00"]]
    assert Lease.objects.get(pk=lease.pk).monthly_rent == Decimal("3200.00")
    changed = approve_as(request, manager)
    assert (changed.status, changed.monthly_rent, changed.deposit) == (
        "active",
        Decimal("3500.00"),
        Decimal("3200.00"),
    )
    assert changed.version == lease.version + 1
