"""Customers and leases in the admin: read-only; personal data masked."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anzu.common.crypto import mask_id_number, mask_phone
from anzu.core.admin import ReadOnlyAdmin
from anzu.leasing.models import Customer, Lease


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "organization", "masked_id_number", "masked_phone")
    list_filter = ("kind", "organization")
    search_fields = ("name",)
    fields = (
        "organization",
        "project",
        "kind",
        "name",
        "id_type",
        "masked_id_number",
        "masked_phone",
        "tags",
    )
    readonly_fields = fields

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Customer) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Customer) -> str:
        return mask_phone(obj.phone) if obj.phone else ""


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ("code", "status", "unit", "customer", "start_date", "end_date", "organization")
    list_filter = ("status", "organization")
    search_fields = ("code",)
    list_select_related = ("unit", "unit__building", "customer", "organization")
    raw_id_fields = ("unit", "customer", "building", "project")
    exclude = ("created_by",)
