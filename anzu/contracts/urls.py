from django.urls import path

from anzu.contracts import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("upload/", views.contract_upload, name="upload"),
    path("review/", views.review_queue, name="review_queue"),
    path("fields/<int:pk>/review/", views.field_review, name="field_review"),
    path("rules/", views.rule_sets, name="rule_sets"),
    path("rules/<int:pk>/publish/", views.rule_set_publish, name="rule_set_publish"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/file/", views.contract_file, name="file"),
    path("<int:pk>/report.pdf", views.contract_report, name="report"),
    path("<int:pk>/pages/<int:number>.png", views.contract_page_image, name="page_image"),
    path("<int:pk>/retry/", views.contract_retry, name="retry"),
]
