from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "anzu.billing.settlement"
    label = "settlement"
    verbose_name = "Move-out settlement"
