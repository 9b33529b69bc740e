from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "anzu.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"
