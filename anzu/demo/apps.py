from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "anzu.demo"
    label = "demo"
    verbose_name = "Demo"
