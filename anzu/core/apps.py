from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "anzu.core"
    label = "core"
    verbose_name = "Core"
