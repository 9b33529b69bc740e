from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "anzu.billing"
    label = "billing"
    verbose_name = "Billing"
