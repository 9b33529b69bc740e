"""Who activated a lease and when: stored by the activation, shown on the page and in the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from anzu.common.testing import lease_data, make_user
from anzu.core.models import AuditEvent
from anzu.leasing import services
from anzu.leasing.models import Lease
from anzu.risk.approvals.guard import ensure_rules
from anzu.risk.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalRule

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)


@pytest.fixture
def checker(org: Any) -> Any:
    return make_user(org, "admin", username="zhou")


def pending_lease(portfolio: Any, manager: Any, checker: Any) -> Lease:
    from anzu.risk.approvals.testing import approve_as

    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"])),
        checker,
    )
    return services.lease_submit(lease=lease, by=manager)


def test_activation_through_approval_stores_the_maker_and_the_time(portfolio, manager, checker):
    from anzu.risk.approvals.testing import approve_as

    lease = pending_lease(portfolio, manager, checker)
    request = services.lease_activate(lease=lease, by=manager)
    assert isinstance(request, ApprovalRequest)
    assert Lease.objects.get(pk=lease.pk).activated_by_id is None  # held, nothing written
    with time_machine.travel(AT, tick=False):
        done = approve_as(request, checker)
    stored = Lease.objects.get(pk=lease.pk)
    assert done.pk == stored.pk and stored.status == "active"
    assert (stored.activated_by_id, stored.activated_at) == (manager.pk, AT)
    # The checker stays discoverable: the event names the approval, which holds the decision.
    event = AuditEvent.objects.get(action="lease.activate", object_id=str(lease.pk))
    assert event.actor_id == manager.pk
    assert event.changes["activated_by"] == [None, manager.pk]
    assert event.changes["approval"] == [None, request.pk]
    checkers = ApprovalDecision.objects.filter(request_id=request.pk).values_list(
        "checker_id", flat=True
    )
    assert list(checkers) == [checker.pk]


def test_activation_without_a_rule_stores_the_activator(org, portfolio, manager, checker):
    lease = pending_lease(portfolio, manager, checker)
    ensure_rules(org.pk)
    ApprovalRule.objects.filter(organization=org, action="lease.activate").update(active=False)
    with time_machine.travel(AT, tick=False):
        done = services.lease_activate(lease=lease, by=checker)
    assert isinstance(done, Lease)
    stored = Lease.objects.get(pk=lease.pk)
    assert (stored.activated_by_id, stored.activated_at) == (checker.pk, AT)
    event = AuditEvent.objects.get(action="lease.activate", object_id=str(lease.pk))
    assert event.changes["activated_by"] == [None, checker.pk]
    assert "approval" not in event.changes


def test_other_transitions_do_not_touch_the_activator(org, portfolio, manager, checker):
    lease = pending_lease(portfolio, manager, checker)
    ensure_rules(org.pk)
    ApprovalRule.objects.filter(organization=org, action="lease.activate").update(active=False)
    services.lease_activate(lease=lease, by=checker)
    services.lease_terminate(
        lease=Lease.objects.get(pk=lease.pk), by=manager, on="2026-03-31", reason="提前退租"
    )
    stored = Lease.objects.get(pk=lease.pk)
    assert stored.status == "terminated" and stored.activated_by_id == checker.pk


def test_api_and_page_show_the_activation(org, portfolio, manager, checker):
    lease = pending_lease(portfolio, manager, checker)
    client = Client()
    client.force_login(manager)
    before = client.get(f"/api/v1/leases/{lease.pk}").json()
    assert (before["activated_at"], before["activated_by_id"]) == (None, None)
    ensure_rules(org.pk)
    ApprovalRule.objects.filter(organization=org, action="lease.activate").update(active=False)
    with time_machine.travel(AT, tick=False):
        services.lease_activate(lease=lease, by=checker)
    body = client.get(f"/api/v1/leases/{lease.pk}").json()
    assert body["activated_by_id"] == checker.pk
    assert dt.datetime.fromisoformat(body["activated_at"]) == AT
    page = client.get(f"/leasing/leases/{lease.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<dt>生效</dt><dd>2026-12-01 10:30 · zhou</dd>" in html


def test_the_migration_fills_the_activator_of_earlier_activations(org, portfolio, manager, checker):
    import importlib

    from django.apps import apps

    backfill = importlib.import_module(
        "anzu.leasing.migrations.0006_lease_activated_by"
    ).backfill_activated_by
    lease = pending_lease(portfolio, manager, checker)
    ensure_rules(org.pk)
    ApprovalRule.objects.filter(organization=org, action="lease.activate").update(active=False)
    services.lease_activate(lease=lease, by=checker)
    never = pending_lease(
        {**portfolio, "u1": portfolio["u2"]}, manager, checker
    )  # not activated: stays empty
    Lease.objects.filter(pk=lease.pk).update(activated_by=None)
    backfill(apps, None)
    assert Lease.objects.get(pk=lease.pk).activated_by_id == checker.pk
    assert Lease.objects.get(pk=never.pk).activated_by_id is None
