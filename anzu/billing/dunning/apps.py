from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "anzu.billing.dunning"
    label = "dunning"
    verbose_name = "Dunning"
