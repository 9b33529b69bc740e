"""The project's URLs plus this app's pages and API, mounted as the lead will mount them."""

from django.urls import include, path

from anzu import urls as project_urls
from anzu.common.api import API_AUTH, AnzuNinjaAPI, install_error_handlers
from anzu.maintenance.knowledge.api import router

api = AnzuNinjaAPI(
    title="Anzu API (knowledge tests)",
    version="knowledge-tests",
    urls_namespace="api-knowledge-tests",
    docs_url=None,
    auth=API_AUTH,
)
install_error_handlers(api)
api.add_router("", router)

# Mounted here until anzu/urls.py mounts them itself (then the project's mounts are used).
_mounted = {getattr(p, "namespace", None) for p in project_urls.urlpatterns}
_pages = [
    path(prefix, include(module))
    for prefix, module, namespace in (
        ("r/", "anzu.maintenance.knowledge.urls_public", "report"),
        ("kb/", "anzu.maintenance.knowledge.urls_staff", "kb"),
    )
    if namespace not in _mounted
]

urlpatterns = [path("api/v1/", api.urls), *_pages, path("", include("anzu.urls"))]
