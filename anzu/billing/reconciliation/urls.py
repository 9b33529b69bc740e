from django.urls import URLPattern, URLResolver, path

from anzu.billing.reconciliation import views

app_name = "reconciliation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.statement_list, name="list"),
    path("review/", views.review, name="review"),
    path("<int:pk>/", views.statement_detail, name="detail"),
    path("lines/<int:pk>/assign/", views.line_assign, name="line_assign"),
    path("lines/<int:pk>/ignore/", views.line_ignore, name="line_ignore"),
]
