from django.urls import path

from anzu.billing import views

app_name = "billing"

urlpatterns = [
    path("receivables/", views.receivables, name="receivables"),
    path("payments/new/", views.payment_create, name="payment_create"),
    path("charges/new/", views.charge_create, name="charge_create"),
    path("leases/<int:pk>/", views.ledger, name="ledger"),
    path("leases/<int:pk>/<str:action>/", views.ledger_action, name="ledger_action"),
]
