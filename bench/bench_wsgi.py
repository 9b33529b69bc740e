"""WSGI entry point for the API benchmark: Anzu with bench/bench_urls.py as the URL root."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anzu.settings")

from django.conf import settings

settings.ROOT_URLCONF = "bench_urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
