"""Staff and tenant portal accounts of an organization: create, roles, scope. Audited."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from anzu.common import validate as v
from anzu.common.errors import Conflict, NotFound, ValidationFailed
from anzu.core import access, audit
from anzu.core.choices import Role, UserKind
from anzu.core.models import RoleGrant, StaffScope, User

_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{3,150}$")


def users_for_user(by: Any) -> QuerySet[User]:
    """Accounts of the caller's organization, for those who manage users."""
    if not access.can(by, "users.manage"):
        return User.objects.none()
    return User.objects.filter(organization_id=by.organization_id).order_by("username")


def user_for_user(by: Any, pk: Any) -> User:
    try:
        return users_for_user(by).get(pk=int(pk))
    except (ValueError, TypeError, User.DoesNotExist):
        raise NotFound("user") from None


def _roles(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [r.strip() for r in value.split(",") if r.strip()]
    if not isinstance(value, list | tuple):
        raise ValidationFailed("invalid", "Roles must be a list.", field="roles")
    allowed = set(Role.values)
    for role in value:
        if role not in allowed:
            raise ValidationFailed(
                "invalid_choice",
                f"Unknown role {role!r}; choose from {', '.join(Role.values)}.",
                field="roles",
            )
    return sorted(set(value))


def _password(value: Any, user: User | None) -> tuple[str, bool]:
    """The given password (validated) or a generated one; the flag says it was generated."""
    if value in (None, ""):
        return secrets.token_urlsafe(12), True
    if not isinstance(value, str):
        raise ValidationFailed("invalid", "Enter a password.", field="password")
    try:
        validate_password(value, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed("weak_password", " ".join(exc.messages), field="password") from None
    return value, False


def _scope_ids(by: User, project_ids: Any, building_ids: Any) -> tuple[list[int], list[int]]:
    from anzu.portfolio.models import Building, Project

    def ids(value: Any, field: str) -> list[int]:
        if value in (None, ""):
            return []
        if not isinstance(value, list | tuple):
            raise ValidationFailed("invalid", "Enter a list of ids.", field=field)
        return sorted({v.integer(x, field=field, minimum=1) for x in value})

    projects = ids(project_ids, "project_ids")
    buildings = ids(building_ids, "building_ids")
    org = access.org_id(by)
    if len(projects) != Project.objects.filter(organization_id=org, pk__in=projects).count():
        raise ValidationFailed("not_found", "Unknown project in scope.", field="project_ids")
    if len(buildings) != Building.objects.filter(organization_id=org, pk__in=buildings).count():
        raise ValidationFailed("not_found", "Unknown building in scope.", field="building_ids")
    return projects, buildings


def _write_scope(user: User, projects: list[int], buildings: list[int]) -> None:
    StaffScope.objects.filter(user=user).delete()
    StaffScope.objects.bulk_create(
        [StaffScope(user=user, project_id=p) for p in projects]
        + [StaffScope(user=user, building_id=b) for b in buildings]
    )


def staff_user_create(*, by: User, data: dict[str, Any]) -> tuple[User, str | None]:
    """Create a staff account. Returns the user and the generated password (None if given)."""
    access.require(by, "users.manage")
    spec: dict[str, Any] = {
        "username": lambda x, f: v.text(x, field=f, max_length=150),
        "display_name": lambda x, f: v.text(x, field=f, max_length=100, required=False),
        "email": lambda x, f: v.text(x, field=f, max_length=254, required=False),
        "password": lambda x, f: x,
        "roles": lambda x, f: _roles(x),
        "scope_all": lambda x, f: (
            bool(x) if isinstance(x, bool) else str(x).lower() in {"1", "true", "on", "yes"}
        ),
        "project_ids": lambda x, f: x,
        "building_ids": lambda x, f: x,
    }
    cleaned = v.clean(data, spec, partial=False)
    if not _USERNAME_RE.match(cleaned["username"]):
        raise ValidationFailed(
            "invalid", "Use 3–150 letters, digits or . _ @ + - for the username.", field="username"
        )
    if not cleaned["roles"]:
        raise ValidationFailed("required", "Give the user at least one role.", field="roles")
    projects, buildings = _scope_ids(by, cleaned["project_ids"], cleaned["building_ids"])
    user = User(
        username=cleaned["username"],
        display_name=cleaned["display_name"],
        email=cleaned["email"],
        organization_id=access.org_id(by),
        kind=UserKind.STAFF,
        scope_all=cleaned["scope_all"],
    )
    password, generated = _password(cleaned["password"], user)
    user.set_password(password)
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict("duplicate", "This username is taken.", field="username") from None
        # Roles are granted through an approval request (``core.role_grant``), made below.
        _write_scope(user, projects, buildings)
        audit.record(
            action="user.create",
            obj=user,
            organization=user.organization_id,
            actor=by,
            changes={
                "username": [None, user.username],
                "roles_requested": cleaned["roles"],
                "scope_all": [None, user.scope_all],
                "project_ids": [None, projects],
                "building_ids": [None, buildings],
            },
        )
        user.__dict__["role_request"] = user_set_roles(user=user, by=by, roles=cleaned["roles"])
    return user, (password if generated else None)


def user_set_roles(*, user: User, by: User, roles: Any, approval: Any = None) -> Any:
    """Grant or change a staff user's roles.

    Guarded (``core.role_grant``): without an executing approval this returns the approval
    request (see :mod:`anzu.risk.approvals`) and no role changes until a second person with
    ``users.manage`` approves it. Otherwise returns the user.
    """
    from anzu.risk.approvals.guard import guard

    access.require(by, "users.manage")
    new_roles = _roles(roles)
    if user.pk == by.pk and Role.ADMIN not in new_roles:
        raise ValidationFailed(
            "self_lockout", "You cannot remove your own administrator role.", field="roles"
        )
    if user.kind != UserKind.STAFF:
        raise ValidationFailed("invalid", "Only staff accounts have roles.", field="roles")
    if user.organization_id != access.org_id(by):
        raise NotFound("user")
    current = sorted(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    if current == new_roles and approval is None:
        return user
    pending = guard(
        "core.role_grant",
        by=by,
        args={"user_id": user.pk, "roles": new_roles},
        approval=approval,
        summary=user.username,
        diff=[("roles", current, new_roles)],
        obj=user,
    )
    if pending is not None:
        return pending
    with transaction.atomic():
        old = sorted(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        if old != new_roles:
            RoleGrant.objects.filter(user=user).exclude(role__in=new_roles).delete()
            RoleGrant.objects.bulk_create(
                [RoleGrant(user=user, role=r) for r in new_roles if r not in old]
            )
            audit.record(
                action="user.roles",
                obj=user,
                organization=user.organization_id,
                actor=by,
                changes={"roles": [old, new_roles]},
            )
    user.__dict__.pop("_role_cache", None)
    return user


def user_set_scope(
    *, user: User, by: User, scope_all: bool, project_ids: Any = None, building_ids: Any = None
) -> User:
    access.require(by, "users.manage")
    projects, buildings = _scope_ids(by, project_ids, building_ids)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        old_projects = sorted(
            StaffScope.objects.filter(user=locked, project__isnull=False).values_list(
                "project_id", flat=True
            )
        )
        old_buildings = sorted(
            StaffScope.objects.filter(user=locked, building__isnull=False).values_list(
                "building_id", flat=True
            )
        )
        changes = audit.diff(
            {
                "scope_all": locked.scope_all,
                "project_ids": old_projects,
                "building_ids": old_buildings,
            },
            {"scope_all": bool(scope_all), "project_ids": projects, "building_ids": buildings},
        )
        if changes:
            locked.scope_all = bool(scope_all)
            locked.save(update_fields=["scope_all"])
            _write_scope(locked, projects, buildings)
            audit.record(
                action="user.scope",
                obj=locked,
                organization=locked.organization_id,
                actor=by,
                changes=changes,
            )
    return locked


def tenant_user_create(
    *, by: User, customer_id: Any, username: str, password: str | None = None
) -> tuple[User, str | None]:
    """A tenant portal account for one customer."""
    from anzu.leasing.access import customer_for_user

    access.require(by, "customer.write")
    try:
        customer = customer_for_user(by, customer_id)
    except NotFound:
        raise ValidationFailed("not_found", "Unknown customer.", field="customer_id") from None
    username = v.text(username, field="username", max_length=150)
    if not _USERNAME_RE.match(username):
        raise ValidationFailed(
            "invalid", "Use 3–150 letters, digits or . _ @ + - for the username.", field="username"
        )
    user = User(
        username=username,
        organization_id=customer.organization_id,
        kind=UserKind.TENANT,
        customer=customer,
        display_name=customer.name,
    )
    raw, generated = _password(password, user)
    user.set_password(raw)
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict("duplicate", "This username is taken.", field="username") from None
        audit.record(
            action="user.create_tenant",
            obj=user,
            organization=user.organization_id,
            actor=by,
            changes={"username": [None, username], "customer": [None, customer.pk]},
        )
    return user, (raw if generated else None)
