from django.urls import path

from anzu.core import user_views

urlpatterns = [
    path("", user_views.user_list, name="user_list"),
    path("new/", user_views.user_create, name="user_create"),
    path("tenant/new/", user_views.tenant_create, name="tenant_user_create"),
    path("<int:pk>/", user_views.user_detail, name="user_detail"),
]
