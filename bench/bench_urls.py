"""URLs for the API benchmark's server: Anzu's own, plus a bare JSON endpoint.

The bare endpoint goes through the same middleware stack as the API, so the ratio between the
two measures what the API itself costs (authentication, query, serialization).
"""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bench/bare", bare),
    path("", include("anzu.urls")),
]
