from django.urls import path

from anzu.risk.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("<int:pk>/", views.account_detail, name="account"),
    path("<int:pk>/freeze/", views.account_freeze, name="freeze"),
    path("<int:pk>/reactivate/", views.account_reactivate, name="reactivate"),
    path("<int:pk>/reset-link/", views.account_reset_link, name="reset_link"),
    path("<int:pk>/profile/", views.account_profile, name="profile"),
    path("provisioning/", views.provisioning, name="provisioning"),
    path("provisioning/<int:pk>/revoke/", views.scim_token_revoke, name="scim_token_revoke"),
    path("password/", views.password_set, name="password_set"),
    path("password/<str:token>/", views.password_reset, name="password_reset"),
]
