from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "anzu.billing.reconciliation"
    label = "reconciliation"
    verbose_name = "Bank reconciliation"
