from __future__ import annotations

import pytest

from anzu.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from anzu.common.testing import make_user
from anzu.core import users
from anzu.core.models import AuditEvent, User
from anzu.portfolio import access as portfolio_access
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


def test_admin_creates_scoped_staff_user(portfolio, admin_user):
    user, password = users.staff_user_create(
        by=admin_user,
        data={
            "username": "guanjia1",
            "display_name": "管家小王",
            "roles": ["frontline"],
            "project_ids": [portfolio["p1"].pk],
            "scope_all": False,
        },
    )
    assert password is not None and len(password) >= 12
    assert user.check_password(password)
    # The roles wait for a second administrator.
    assert User.objects.get(pk=user.pk).role_set == frozenset()
    request = user.__dict__["role_request"]
    assert (request.action, request.args) == (
        "core.role_grant",
        {"user_id": user.pk, "roles": ["frontline"]},
    )
    with pytest.raises(PermissionDenied):
        approve_as(request, admin_user)
    user = approve_as(request, make_user(admin_user.organization, "admin", username="admin-2"))
    assert user.role_set == frozenset({"frontline"})
    assert sorted(portfolio_access.units_for_user(user).values_list("code", flat=True)) == [
        "101",
        "102",
    ]
    event = AuditEvent.objects.get(action="user.create")
    assert event.changes["roles_requested"] == ["frontline"]
    assert AuditEvent.objects.get(action="user.roles").changes["roles"] == [[], ["frontline"]]
    assert password not in str(event.changes)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "x", "roles": ["finance"]}, "username"),
        ({"username": "valid1", "roles": []}, "roles"),
        ({"username": "valid1", "roles": ["king"]}, "roles"),
        ({"username": "valid1", "roles": ["finance"], "password": "123"}, "password"),
        ({"username": "valid1", "roles": ["finance"], "project_ids": [999999]}, "project_ids"),
    ],
)
def test_bad_user_input(admin_user, data, field):
    count = User.objects.count()
    with pytest.raises(ValidationFailed) as err:
        users.staff_user_create(by=admin_user, data=data)
    assert err.value.field == field
    assert User.objects.count() == count


def test_duplicate_username(admin_user):
    users.staff_user_create(by=admin_user, data={"username": "dup", "roles": ["legal"]})
    with pytest.raises(Conflict) as err:
        users.staff_user_create(by=admin_user, data={"username": "dup", "roles": ["legal"]})
    assert err.value.field == "username"


def test_only_admins_manage_users(org, manager, admin_user):
    with pytest.raises(PermissionDenied):
        users.staff_user_create(by=manager, data={"username": "nope", "roles": ["legal"]})
    assert list(users.users_for_user(manager)) == []
    with pytest.raises(NotFound):
        users.user_for_user(manager, admin_user.pk)


def test_other_org_users_are_not_found(admin_user, other_org):
    stranger = make_user(other_org, "admin", username="stranger")
    with pytest.raises(NotFound):
        users.user_for_user(admin_user, stranger.pk)


def test_roles_and_scope_changes_are_audited(portfolio, admin_user):
    user, _ = users.staff_user_create(
        by=admin_user, data={"username": "fin1", "roles": ["finance"]}
    )
    approve_as(user.__dict__["role_request"])
    approve_as(users.user_set_roles(user=user, by=admin_user, roles=["finance", "legal"]))
    assert User.objects.get(pk=user.pk).role_set == frozenset({"finance", "legal"})
    users.user_set_scope(
        user=user, by=admin_user, scope_all=False, building_ids=[portfolio["b2"].pk]
    )
    fresh = User.objects.get(pk=user.pk)
    assert sorted(portfolio_access.units_for_user(fresh).values_list("code", flat=True)) == [
        "201",
        "202",
    ]
    actions = list(
        AuditEvent.objects.filter(object_type="core.user", object_id=str(user.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["user.create", "user.roles", "user.roles", "user.scope"]


def test_admin_cannot_lock_self_out(admin_user):
    with pytest.raises(ValidationFailed) as err:
        users.user_set_roles(user=admin_user, by=admin_user, roles=["finance"])
    assert err.value.code == "self_lockout"


def test_tenant_portal_account(portfolio, manager):
    tenant, password = users.tenant_user_create(
        by=manager, customer_id=portfolio["customer"].pk, username="lilei"
    )
    assert tenant.kind == "tenant"
    assert tenant.customer_id == portfolio["customer"].pk
    assert password is not None and tenant.check_password(password)
