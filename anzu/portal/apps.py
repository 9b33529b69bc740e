from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "anzu.portal"
    label = "portal"
    verbose_name = "Tenant portal"
