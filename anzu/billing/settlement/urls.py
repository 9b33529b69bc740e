from django.urls import URLPattern, URLResolver, path

from anzu.billing.settlement import views

app_name = "settlement"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.case_list, name="list"),
    path("new/", views.case_open, name="open"),
    path("credit-report/", views.credit_export, name="credit_export"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/statement.pdf", views.statement_download, name="statement_pdf"),
    path("<int:pk>/<str:action>/", views.case_action, name="action"),
]
