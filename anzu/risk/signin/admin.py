from django.contrib import admin

from anzu.risk.signin.models import KnownDevice, KnownNetwork, LoginAttempt


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "kind", "decision", "outcome", "score", "ip", "region")
    list_filter = ("kind", "decision", "outcome")
    search_fields = ("username", "ip")
    readonly_fields = [f.name for f in LoginAttempt._meta.fields]


@admin.register(KnownDevice)
class KnownDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "device_id", "last_ip", "last_seen_at")
    search_fields = ("user__username", "device_id")


@admin.register(KnownNetwork)
class KnownNetworkAdmin(admin.ModelAdmin):
    list_display = ("user", "network", "logins", "last_seen_at")
    search_fields = ("user__username", "network")
