from django.urls import path

from anzu.risk.security import views

app_name = "security"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("verify/", views.verify, name="verify"),
    path("shadow-leases/", views.shadow_lease_report, name="shadow_leases"),
    path("shadow-leases/export.csv", views.shadow_lease_csv, name="shadow_leases_csv"),
]
