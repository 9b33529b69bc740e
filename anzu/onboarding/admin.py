from django.contrib import admin

from anzu.onboarding.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "file_name", "status", "error_count", "created_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "payload"]
    exclude = ("payload",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
