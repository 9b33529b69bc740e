from django.urls import path

from anzu.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.import_page, name="import"),
    path("template.xlsx", views.template_download, name="template"),
    path("jobs/<int:pk>/", views.job_page, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/errors.csv", views.job_errors_csv, name="job_errors"),
]
