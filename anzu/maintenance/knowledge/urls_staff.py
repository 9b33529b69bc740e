"""Staff pages, mounted at ``/kb/`` (namespace ``kb``)."""

from django.urls import path

from anzu.maintenance.knowledge import views_staff as views

app_name = "kb"

urlpatterns = [
    path("", views.index, name="index"),
    path("articles/new/", views.article_create, name="article_create"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("articles/<int:pk>/override/", views.article_override, name="article_override"),
    path("articles/<int:pk>/delete/", views.article_delete, name="article_delete"),
    path("qr/", views.qr_index, name="qr_index"),
    path("qr/rotate/", views.qr_rotate, name="qr_rotate"),
    path("qr/buildings/<int:pk>/sheet.pdf", views.qr_sheet, name="qr_sheet"),
]
