from django.urls import path

from anzu.risk.approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.pending, name="pending"),
    path("mine/", views.mine, name="mine"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/<str:what>/", views.decide, name="decide"),
]
