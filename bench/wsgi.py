"""The application as gunicorn serves it for the load test (``bench.load``): the real one, plus the
bench's bare baseline views (``bench.urls``). Settings come from the environment, as in production."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings  # noqa: E402

from config.wsgi import application  # noqa: E402

# Before the first request: Django resolves ROOT_URLCONF on each request, so the bare views join the real ones.
settings.ROOT_URLCONF = "bench.urls"

__all__ = ["application"]
