"""URLconf for the notify API tests: the notify router on its own API at /api/v1/."""

from django.urls import include, path

from anzu.common.api import API_AUTH, AnzuNinjaAPI, install_error_handlers
from anzu.notify.api import router

api = AnzuNinjaAPI(title="notify test", version="test", urls_namespace="notify-test", auth=API_AUTH)
install_error_handlers(api)
api.add_router("", router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("anzu.urls")),
]
