from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "anzu.risk"
    label = "risk"
    verbose_name = "Risk control"
