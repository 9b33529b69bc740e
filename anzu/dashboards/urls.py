from django.urls import URLPattern, URLResolver, path

from anzu.dashboards import views

app_name = "dashboards"

urlpatterns: list[URLPattern | URLResolver] = [
    path("collections/", views.collections, name="collections"),
]
