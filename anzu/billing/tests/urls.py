"""The project's URLs with the billing router mounted at /api/v1 (as the aggregator does)."""

from django.urls import include, path

from anzu.billing.api import router
from anzu.common.api import API_AUTH, AnzuNinjaAPI, install_error_handlers

api = AnzuNinjaAPI(
    title="Anzu API (billing tests)",
    version="billing-tests",
    urls_namespace="api-billing-tests",
    docs_url=None,
    auth=API_AUTH,
)
install_error_handlers(api)
api.add_router("", router)

urlpatterns = [path("api/v1/", api.urls), path("", include("anzu.urls"))]
