"""The REST API at /api/v1 (django-ninja). Each app contributes a router from its api.py."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Anzu API",
    version="1",
    urls_namespace="api-1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
