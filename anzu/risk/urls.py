from django.urls import path

from anzu.risk import views

app_name = "risk"

urlpatterns = [
    path("audit/", views.audit_trail, name="audit"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
]
