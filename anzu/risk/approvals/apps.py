from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "anzu.risk.approvals"
    label = "approvals"
    verbose_name = "Maker-checker approvals"
