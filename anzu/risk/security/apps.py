from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "anzu.risk.security"
    label = "security"
    verbose_name = "Security overview"
