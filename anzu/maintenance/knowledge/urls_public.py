"""The public QR landing, mounted at ``/r/`` (namespace ``report``)."""

from django.urls import path

from anzu.maintenance.knowledge import views_public as views

app_name = "report"

urlpatterns = [
    path("<str:token>/", views.start, name="start"),
    path("<str:token>/done/", views.done, name="done"),
    path("<str:token>/c/<str:code>/", views.articles, name="articles"),
    path("<str:token>/c/<str:code>/solved/", views.solved, name="solved"),
    path("<str:token>/c/<str:code>/identify/", views.identify, name="identify"),
    path("<str:token>/c/<str:code>/verify/", views.verify, name="verify"),
    path("<str:token>/c/<str:code>/report/", views.report, name="report"),
]
