"""URLs for the import API tests: the import router on its own API instance under /api/v1/."""

from django.urls import include, path

from anzu.common.api import API_AUTH, AnzuNinjaAPI, install_error_handlers
from anzu.onboarding.api import router

api = AnzuNinjaAPI(
    title="Anzu import API (tests)",
    version="test-onboarding",
    urls_namespace="onboarding-api-test",
    auth=API_AUTH,
)
install_error_handlers(api)
api.add_router("", router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("anzu.urls")),
]
