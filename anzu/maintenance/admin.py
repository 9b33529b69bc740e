"""Work orders in the admin: read-only (changes go through the services); phones masked."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from anzu.common.crypto import mask_phone
from anzu.core.admin import ReadOnlyAdmin
from anzu.maintenance.models import (
    Assignment,
    BusinessCalendar,
    Category,
    EngineerProfile,
    ReviewCase,
    SlaPolicy,
    Ticket,
)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "organization", "status", "urgency", "category", "reported_at")
    list_filter = ("status", "urgency", "channel", "organization")
    search_fields = ("number",)
    fields = (
        "organization",
        "number",
        "unit",
        "category",
        "urgency",
        "channel",
        "status",
        "description",
        "reporter_name",
        "masked_phone",
        "assigned_engineer",
        "reported_at",
        "first_response_at",
        "on_site_at",
        "completed_at",
        "verified_at",
        "repeat_of",
    )
    readonly_fields = fields

    @admin.display(description=_("reporter phone"))
    def masked_phone(self, obj: Ticket) -> str:
        return mask_phone(obj.reporter_phone) if obj.reporter_phone else ""


for model in (Assignment, BusinessCalendar, Category, EngineerProfile, ReviewCase, SlaPolicy):
    admin.site.register(model, ReadOnlyAdmin)
