from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "anzu.notify"
    label = "notify"
    verbose_name = "Notify"
