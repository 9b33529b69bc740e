from django.urls import URLPattern, URLResolver

app_name = "dunning"

urlpatterns: list[URLPattern | URLResolver] = []
