from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from anzu.billing.settlement.models import InspectionItem, SettlementCase


class InspectionItemInline(admin.TabularInline):
    model = InspectionItem
    extra = 0
    can_delete = False
    readonly_fields = ("position", "area", "item", "condition", "damage_amount", "note")


@admin.register(SettlementCase)
class SettlementCaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the settlement services."""

    list_display = ("id", "lease", "status", "source", "move_out_date", "created_at")
    list_filter = ("status", "source")
    inlines = [InspectionItemInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
