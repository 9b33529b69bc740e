from django.urls import path

from anzu.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path("<int:pk>/verify/", views.document_verify, name="verify"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/issue/", views.notice_issue_create, name="notice_issue"),
    path("notice-templates/", views.notice_template_list, name="notice_templates"),
    path("notice-templates/<int:pk>/", views.notice_template_edit, name="notice_template_edit"),
    path(
        "notice-templates/<int:pk>/publish/",
        views.notice_template_publish,
        name="notice_template_publish",
    ),
    path(
        "notice-templates/<int:pk>/preview/",
        views.notice_template_preview,
        name="notice_template_preview",
    ),
]
