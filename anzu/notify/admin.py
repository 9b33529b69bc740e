from django.contrib import admin

from anzu.notify.models import (
    DeliveryAttempt,
    InboxMessage,
    MessageTemplate,
    OutboxMessage,
    SandboxMessage,
)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "channel", "language", "organization", "is_active")
    list_filter = ("channel", "language", "is_active")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "channel", "status", "attempts", "created_at")
    list_filter = ("status", "channel")
    exclude = ("address",)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields if f.name != "address"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ("message", "number", "provider", "outcome", "started_at")
    list_filter = ("outcome", "provider")


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "customer", "user", "subject", "read_at")


@admin.register(SandboxMessage)
class SandboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "channel", "outbox_message", "handovers", "created_at")
    exclude = ("address",)
