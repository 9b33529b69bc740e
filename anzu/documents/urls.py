from django.urls import path

from anzu.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path("<int:pk>/verify/", views.document_verify, name="verify"),
]
