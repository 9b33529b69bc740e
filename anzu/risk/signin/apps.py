from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "anzu.risk.signin"
    label = "signin"
    verbose_name = "Login and behaviour risk"
