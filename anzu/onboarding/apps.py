from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "anzu.onboarding"
    label = "onboarding"
    verbose_name = "Onboarding"
