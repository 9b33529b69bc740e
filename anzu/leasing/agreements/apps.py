from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "anzu.leasing.agreements"
    label = "agreements"
    verbose_name = "Lease agreements"
