from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "anzu.portfolio"
    label = "portfolio"
    verbose_name = "Portfolio"
