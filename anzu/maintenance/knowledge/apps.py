from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "anzu.maintenance.knowledge"
    label = "knowledge"
    verbose_name = "Self-help and QR intake"
