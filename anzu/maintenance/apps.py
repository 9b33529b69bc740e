from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "anzu.maintenance"
    label = "maintenance"
    verbose_name = "Maintenance work orders"
