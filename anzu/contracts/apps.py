from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "anzu.contracts"
    label = "contracts"
    verbose_name = "Contract archive"
