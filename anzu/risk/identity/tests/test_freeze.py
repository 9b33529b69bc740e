from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction

from anzu.common.errors import NotFound, PermissionDenied, ValidationFailed
from anzu.common.testing import OrganizationFactory, make_user
from anzu.core.models import ApiToken, AuditEvent, User
from anzu.risk.identity import services
from anzu.risk.identity.models import AccountEvent, AccountState, UserSession
from anzu.risk.identity.tests.conftest import api_token, client_for

pytestmark = pytest.mark.django_db


def freeze(user: Any, by: Any, reason: str = "left the company") -> Any:
    return services.account_freeze(user=user, reason=reason, source="manual", by=by)


def test_old_session_and_token_fail_right_after_the_freeze(employee, admin_user):
    browser = client_for(employee)
    raw = api_token(employee)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert browser.get("/").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200
    assert browser.get("/api/v1/me", headers=bearer).status_code == 200
    assert UserSession.objects.filter(user=employee).count() == 1

    freeze(employee, admin_user)

    page = browser.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert browser.get("/api/v1/me").status_code == 401
    fresh = client_for_anonymous()
    assert fresh.get("/api/v1/me", headers=bearer).status_code == 401
    assert not Session.objects.exists()
    assert not UserSession.objects.filter(user=employee).exists()
    assert ApiToken.objects.get(user=employee).revoked_at is not None
    # The old password no longer opens a session either.
    assert not fresh.login(username=employee.username, password="anzu-test-pass-2026")


def client_for_anonymous() -> Any:
    from django.test import Client

    return Client()


def test_sessions_written_before_tracking_are_found_by_the_scan(employee, admin_user):
    browser = client_for(employee)
    UserSession.objects.all().delete()  # as if the session predates the tracking table
    freeze(employee, admin_user)
    assert not Session.objects.exists()
    assert browser.get("/").status_code == 302


def test_freeze_state_event_and_audit(employee, admin_user):
    state, changed = freeze(employee, admin_user, "offboarded by hand")
    assert changed
    employee.refresh_from_db()
    assert employee.is_active is False
    assert state.status == "frozen" and state.frozen_source == "manual"
    assert state.frozen_reason == "offboarded by hand"
    event = AccountEvent.objects.get(user=employee)
    assert (event.kind, event.source, event.by) == ("frozen", "manual", admin_user)
    assert event.data["tokens_revoked"] == 0
    audit = AuditEvent.objects.get(action="account.freeze")
    assert audit.object_id == str(employee.pk) and audit.actor_id == admin_user.pk
    assert audit.changes["is_active"] == [True, False]
    # Identity kept: the account row still exists and the audit log still names it.
    assert User.objects.filter(pk=employee.pk, username="leaver").exists()


def test_freezing_a_frozen_account_changes_nothing(employee, admin_user):
    freeze(employee, admin_user)
    before = (AccountEvent.objects.count(), AuditEvent.objects.count())
    state, changed = freeze(employee, admin_user, "again")
    assert not changed
    assert state.frozen_reason == "left the company"
    assert (AccountEvent.objects.count(), AuditEvent.objects.count()) == before


def test_freeze_rolls_back_with_its_transaction(employee, admin_user):
    raw = api_token(employee)
    with pytest.raises(RuntimeError), transaction.atomic():
        freeze(employee, admin_user)
        raise RuntimeError
    employee.refresh_from_db()
    assert employee.is_active
    assert not AccountEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="account.freeze").exists()
    assert ApiToken.objects.get(token_hash__isnull=False).revoked_at is None
    assert raw


@pytest.mark.parametrize("role", ["management", "finance", "customer_service"])
def test_only_admins_freeze(employee, org, role):
    with pytest.raises(PermissionDenied):
        freeze(employee, make_user(org, role))
    employee.refresh_from_db()
    assert employee.is_active and not AccountEvent.objects.exists()


def test_admin_of_another_organization_gets_not_found(employee):
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    with pytest.raises(NotFound):
        freeze(employee, outsider)
    employee.refresh_from_db()
    assert employee.is_active


def test_no_self_freeze_and_reason_required(admin_user, employee):
    with pytest.raises(ValidationFailed) as err:
        freeze(admin_user, admin_user)
    assert err.value.code == "self_lockout"
    with pytest.raises(ValidationFailed) as err:
        freeze(employee, admin_user, "")
    assert err.value.field == "reason"
    with pytest.raises(ValidationFailed) as err:
        services.account_freeze(user=employee, reason="x", source="bogus", by=admin_user)
    assert err.value.field == "source"
    assert not AccountEvent.objects.exists()


def test_open_calls_go_back_to_the_queue(employee, admin_user, org, lease):
    from anzu.billing.dunning.models import CallTask

    def call(status: str) -> CallTask:
        return CallTask.objects.create(
            organization=org, lease=lease, customer=lease.customer, project_id=lease.project_id,
            building_id=lease.building_id, due_date=lease.start_date, amount="6400.00",
            created_at=lease.created_at, assigned_to=employee, status=status,
        )  # fmt: skip

    open_call, done_call = call("open"), call("done")
    _state, _changed = freeze(employee, admin_user)
    open_call.refresh_from_db()
    done_call.refresh_from_db()
    assert open_call.assigned_to is None
    assert done_call.assigned_to == employee
    event = AccountEvent.objects.get(user=employee)
    assert event.data["calls_returned"] == [open_call.pk]
    note = AuditEvent.objects.get(action="dunning.call_assign", object_id=str(open_call.pk))
    assert note.changes["assigned_to"] == [employee.pk, None]


def test_pending_approvals_of_the_frozen_maker_are_cancelled(org, portfolio, admin_user):
    """Runs against the real approvals module when it is installed."""
    module = services._approvals_module()
    if module is None or not hasattr(module, "approvals_reassign_from"):
        pytest.skip("the approvals module is not installed")
    from anzu.common.testing import lease_data
    from anzu.leasing import services as leasing_services
    from anzu.risk.approvals.models import ApprovalRequest

    maker = make_user(org, "finance", username="maker")
    leasing_services.lease_create(by=maker, data=lease_data(portfolio["u1"], portfolio["customer"]))
    pending = ApprovalRequest.objects.get(maker=maker)
    assert pending.status == "pending"
    freeze(maker, admin_user)
    pending.refresh_from_db()
    assert pending.status != "pending"
    counts = AccountEvent.objects.get(user=maker).data["approvals"]
    assert counts["cancelled"] == 1


def test_without_the_approvals_module_the_freeze_still_completes(employee, admin_user, monkeypatch):
    monkeypatch.setattr(services, "_approvals_module", lambda: None)
    _state, changed = freeze(employee, admin_user)
    assert changed
    assert AccountEvent.objects.get(user=employee).data["approvals"] is None


def test_approvals_function_is_called_with_the_user_and_by(employee, admin_user, monkeypatch):
    calls: list[Any] = []

    class FakeModule:
        @staticmethod
        def approvals_reassign_from(user: Any, *, by: Any) -> list[int]:
            calls.append((user.pk, by.pk))
            return [1, 2]

    monkeypatch.setattr(services, "_approvals_module", lambda: FakeModule)
    freeze(employee, admin_user)
    assert calls == [(employee.pk, admin_user.pk)]
    assert AccountEvent.objects.get(user=employee).data["approvals"] == 2


def test_approvals_module_import_errors_inside_it_are_not_hidden(monkeypatch):
    import importlib

    def broken(name: str) -> None:
        raise ModuleNotFoundError("No module named 'somedep'", name="somedep")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):
        services._approvals_module()


def test_tenant_accounts_are_not_handled_here(portfolio, admin_user):
    from anzu.common.testing import make_tenant

    tenant = make_tenant(portfolio["customer"])
    with pytest.raises(ValidationFailed):
        freeze(tenant, admin_user)
    assert not AccountState.objects.filter(user=tenant, status="frozen").exists()


def test_open_work_orders_go_back_to_the_dispatch_pool(
    org, portfolio, admin_user, settings, tmp_path
):
    from anzu.maintenance import dispatching
    from anzu.maintenance.models import Assignment, EngineerProfile, TicketEvent
    from anzu.maintenance.services import ticket_create, ticket_transition

    settings.MEDIA_ROOT = str(tmp_path)
    dispatcher = make_user(org, "customer_service", username="dispatcher")
    engineer = make_user(org, "engineer", username="eng")
    EngineerProfile.objects.create(
        user=engineer, organization=org, skills=["appliance"], base_lat=31.2304,
        base_lng=121.4737, capacity=5,
    )  # fmt: skip

    def ticket() -> Any:
        created = ticket_create(
            organization_id=org.pk, unit_id=portfolio["u1"].pk,
            category_code="appliance.ac_not_cooling", description="空调不制冷",
            channel="phone", reporter_name="李雷", reporter_phone="13800001111", by=dispatcher,
        )  # fmt: skip
        return dispatching.ticket_dispatch(ticket=created, by=dispatcher)

    offered, accepted, on_site = ticket(), ticket(), ticket()
    assert Assignment.objects.filter(engineer=engineer, status="offered").count() == 3
    ticket_transition(ticket=accepted, to="engineer_accepted", by=engineer)
    ticket_transition(ticket=on_site, to="engineer_accepted", by=engineer)
    on_site.refresh_from_db()
    ticket_transition(ticket=on_site, to="on_site", by=engineer)

    freeze(engineer, admin_user)

    for t in (offered, accepted, on_site):
        t.refresh_from_db()
        assert t.status == "dispatching" and t.assigned_engineer_id is None
        last = TicketEvent.objects.filter(ticket=t).order_by("-id").first()
        assert last.data.get("account_frozen") == engineer.pk and "冻结" in last.note
    assert not Assignment.objects.filter(
        engineer=engineer, status__in=["offered", "accepted"]
    ).exists()
    data = AccountEvent.objects.get(user=engineer).data
    assert sorted(data["tickets_returned"]) == sorted([offered.pk, accepted.pk, on_site.pk])
    # The frozen engineer is no longer a dispatch candidate.
    ranked = dispatching.rank_ticket(offered)
    assert all(c["engineer_id"] != engineer.pk or not c["eligible"] for c in ranked)


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cache",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.signed_cookies",
    ],
)
def test_old_session_fails_whatever_the_session_engine(employee, admin_user, settings, engine):
    from importlib import import_module

    settings.SESSION_ENGINE = engine
    browser = client_for(employee)
    assert browser.get("/").status_code == 200
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    freeze(employee, admin_user)
    page = browser.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert browser.get("/api/v1/me").status_code == 401
    if not engine.endswith("signed_cookies"):
        assert not import_module(engine).SessionStore().exists(key)


def test_remembered_keys_of_ended_sessions_are_pruned(employee, org):
    from anzu.risk.identity.sessions import prune_session_keys

    other = make_user(org, "finance", username="stays")
    client_for(employee)
    client_for(other)
    assert UserSession.objects.count() == 2
    Session.objects.filter(session_key=UserSession.objects.get(user=employee).session_key).delete()
    assert prune_session_keys() == 1
    assert list(UserSession.objects.values_list("user_id", flat=True)) == [other.pk]


def test_account_deactivated_elsewhere_is_still_frozen_fully(employee, admin_user):
    raw = api_token(employee)
    User.objects.filter(pk=employee.pk).update(is_active=False)
    employee.refresh_from_db()
    state, changed = freeze(employee, admin_user)
    assert changed and state.status == "frozen"
    assert ApiToken.objects.get(user=employee).revoked_at is not None
    assert raw
