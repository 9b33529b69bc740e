from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "anzu.documents"
    label = "documents"
    verbose_name = "Documents"
