"""Django admin: superusers only, read-mostly.

Business objects change through services (which audit every write), so the admin shows them
read-only. Organizations, users, roles and scopes are editable here because operators set them up
before anyone can log in. The audit log can never be added to, changed or deleted from the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from anzu.core.models import (
    ApiToken,
    AuditEvent,
    Counter,
    Organization,
    RoleGrant,
    StaffScope,
    User,
)


def _superuser_only(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


# The default site opens for superusers only; a staff flag alone does not open /admin/.
admin.site.has_permission = _superuser_only  # type: ignore[method-assign]
admin.site.site_header = _("Anzu administration")
admin.site.site_title = _("Anzu")
admin.site.index_title = _("Administration")


class ReadOnlyAdmin(admin.ModelAdmin):
    """View-only: no add, change or delete, even for superusers."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "created_at")
    search_fields = ("name", "slug")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    fields = ("role",)


class StaffScopeInline(admin.TabularInline):
    model = StaffScope
    extra = 0
    fields = ("project", "building")
    raw_id_fields = ("project", "building")


@admin.register(User)
class AnzuUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "organization", "kind", "scope_all", "is_active")
    list_filter = ("kind", "is_active", "scope_all", "organization")
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("Anzu", {"fields": ("organization", "kind", "display_name", "scope_all", "customer")}),
    )
    raw_id_fields = ("customer",)
    inlines = (RoleGrantInline, StaffScopeInline)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    exclude = ("token_hash",)
    search_fields = ("name", "prefix", "user__username")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "organization_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
    )
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id", "actor_label", "request_id")
    date_hierarchy = "created_at"


@admin.register(Counter)
class CounterAdmin(ReadOnlyAdmin):
    list_display = ("organization", "name", "value")
