"""Access helpers of the dunning app, one condition per test."""

from __future__ import annotations

import pytest

from anzu.billing.dunning import access as dunning_access
from anzu.billing.dunning.models import CallTask, DunningAction, FreezeRequest
from anzu.billing.dunning.policies import policy_published
from anzu.common.errors import NotFound
from anzu.common.testing import OrganizationFactory, make_user

pytestmark = pytest.mark.django_db


def test_finance_sees_every_action_of_the_org(scenario, finance):
    assert dunning_access.actions_for_user(finance).count() == DunningAction.objects.count() == 6


def test_project_scoped_staff_see_only_their_projects_actions(scenario, org, portfolio):
    scoped = make_user(org, "customer_service", projects=[portfolio["p1"]])
    leases = set(dunning_access.actions_for_user(scoped).values_list("lease_id", flat=True))
    assert leases == {scenario["a"].pk}


def test_building_scoped_staff_see_only_their_buildings_actions(scenario, org, portfolio):
    scoped = make_user(org, "legal", buildings=[portfolio["b2"]])
    leases = set(dunning_access.actions_for_user(scoped).values_list("lease_id", flat=True))
    assert leases == {scenario["b"].pk}


def test_frontline_and_engineer_see_no_actions(scenario, org):
    assert not dunning_access.actions_for_user(make_user(org, "frontline")).exists()
    assert not dunning_access.actions_for_user(make_user(org, "engineer")).exists()


def test_other_org_gets_404_for_action(scenario):
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    action = DunningAction.objects.first()
    with pytest.raises(NotFound):
        dunning_access.action_for_user(outsider, action.pk)


def test_bad_id_is_404(scenario, manager):
    with pytest.raises(NotFound):
        dunning_access.action_for_user(manager, "abc")


def test_out_of_scope_call_is_404(scenario, org, portfolio):
    a = scenario["a"]
    call = CallTask.objects.create(
        organization=org, lease=a, customer=a.customer, project_id=a.project_id,
        building_id=a.building_id, due_date=a.start_date, amount="6400.00",
        created_at=a.created_at,
    )  # fmt: skip
    scoped = make_user(org, "customer_service", projects=[portfolio["p2"]])
    with pytest.raises(NotFound):
        dunning_access.call_for_user(scoped, call.pk)
    assert dunning_access.call_for_user(make_user(org, "customer_service"), call.pk) == call


def test_freeze_scope_follows_the_lease(scenario, org, portfolio):
    a = scenario["a"]
    freeze = FreezeRequest.objects.create(
        organization=org, lease=a, customer=a.customer, kind="door_access", amount="6400.00",
        created_at=a.created_at,
    )  # fmt: skip
    with pytest.raises(NotFound):
        dunning_access.freeze_for_user(
            make_user(org, "management", projects=[portfolio["p2"]]), freeze.pk
        )
    assert dunning_access.freeze_for_user(make_user(org, "management"), freeze.pk) == freeze


def test_policy_version_of_other_org_is_404(scenario):
    version = policy_published(scenario["a"].organization_id)
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    with pytest.raises(NotFound):
        dunning_access.policy_version_for_user(outsider, version.pk)


def test_lease_needs_dunning_view(scenario, org):
    with pytest.raises(NotFound):
        dunning_access.lease_for_dunning(make_user(org, "frontline"), scenario["a"].pk)
    assert dunning_access.lease_for_dunning(make_user(org, "legal"), scenario["a"].pk).pk == (
        scenario["a"].pk
    )


def test_capabilities_by_role(org):
    cs = make_user(org, "customer_service")
    finance = make_user(org, "finance")
    manager = make_user(org, "management")
    assert (dunning_access.can_view(cs), dunning_access.can_manage(cs)) == (True, False)
    assert (dunning_access.can_work_calls(cs), dunning_access.can_promise(cs)) == (True, True)
    assert (dunning_access.can_work_calls(finance), dunning_access.can_promise(finance)) == (
        False,
        False,
    )
    assert dunning_access.can_approve_freezes(manager)
    assert not dunning_access.can_approve_freezes(cs)
