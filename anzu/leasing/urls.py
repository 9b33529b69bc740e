from django.urls import path

from anzu.leasing import views

app_name = "leasing"

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("leases/", views.lease_list, name="lease_list"),
    path("leases/new/", views.lease_create, name="lease_create"),
    path("leases/new/customers/", views.customer_options, name="customer_options"),
    path("leases/<int:pk>/", views.lease_detail, name="lease_detail"),
    path("leases/<int:pk>/edit/", views.lease_edit, name="lease_edit"),
    path(
        "leases/<int:pk>/<str:action>/",
        views.lease_action,
        name="lease_action",
    ),
]
