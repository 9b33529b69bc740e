from django.urls import path

from anzu.core import views
from anzu.risk.signin import views as signin_views

urlpatterns = [
    path("login/", signin_views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
