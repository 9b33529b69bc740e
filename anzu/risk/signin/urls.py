from django.urls import path

from anzu.risk.signin import views

app_name = "signin"

urlpatterns = [
    path("login/verify/", views.step_up, name="verify"),
    path("login/enroll/", views.enroll_at_login, name="enroll"),
    path("devices/", views.devices, name="devices"),
    path("devices/add/", views.device_add, name="device_add"),
    path("devices/<int:pk>/confirm/", views.device_confirm, name="device_confirm"),
    path("devices/<int:pk>/remove/", views.device_remove, name="device_remove"),
    path("decisions/", views.decisions, name="decisions"),
]
