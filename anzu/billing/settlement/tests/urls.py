"""The project's URLs with the settlement router mounted at /api/v1 (as the aggregator does)."""

from django.urls import include, path

from anzu.billing.settlement.api import router
from anzu.common.api import API_AUTH, AnzuNinjaAPI, install_error_handlers

api = AnzuNinjaAPI(
    title="Anzu API (settlement tests)",
    version="settlement-tests",
    urls_namespace="api-settlement-tests",
    docs_url=None,
    auth=API_AUTH,
)
install_error_handlers(api)
api.add_router("", router)

urlpatterns = [path("api/v1/", api.urls), path("", include("anzu.urls"))]
