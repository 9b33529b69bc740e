"""Portfolio in the admin: read-only (writes go through the audited services)."""

from __future__ import annotations

from django.contrib import admin

from anzu.core.admin import ReadOnlyAdmin
from anzu.portfolio.models import Building, Equipment, Project, Unit


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "organization", "city", "district")
    list_filter = ("organization",)
    search_fields = ("code", "name")


@admin.register(Building)
class BuildingAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "project", "address", "floors")
    list_filter = ("organization",)
    search_fields = ("code", "name", "address")
    list_select_related = ("project",)


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "building", "floor", "area_m2", "layout", "status")
    list_filter = ("status", "organization")
    search_fields = ("code",)
    list_select_related = ("building",)


@admin.register(Equipment)
class EquipmentAdmin(ReadOnlyAdmin):
    list_display = ("type", "brand", "model", "batch", "building", "unit", "installed_on")
    list_filter = ("type", "organization")
    search_fields = ("brand", "model", "batch", "serial_number")
    list_select_related = ("building", "unit")
