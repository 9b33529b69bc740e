from django.apps import AppConfig


class LeasingConfig(AppConfig):
    name = "anzu.leasing"
    label = "leasing"
    verbose_name = "Leasing"
