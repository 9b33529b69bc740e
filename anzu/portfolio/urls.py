from django.urls import path

from anzu.portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
]
