from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "anzu.common"
    label = "common"
    verbose_name = "Common"
