"""Response headers that protect case data in browsers and proxies."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound

from config.errors import page_not_found


class NoStoreMiddleware:
    """Send ``Cache-Control: no-store`` on every page.

    Every page other than login and health can show case data, and a shared computer's browser cache
    must never keep a copy. Static files are served before this by WhiteNoise and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, private"
        response.setdefault("Pragma", "no-cache")
        return response


class ServiceNotFoundMiddleware:
    """With ``DEBUG`` on (the demo), answer an unknown address with the service's own 404 page.

    Django's technical 404 page, which it shows instead of ``handler404`` whenever ``DEBUG`` is on, lists
    every URL pattern of the service: a map of the system for anyone who mistypes an address. It is an
    ``HttpResponseNotFound`` made while converting the ``Http404``; the service's own pages that answer 404
    (an expired set-password link) are plain responses with that status and are left alone. With ``DEBUG``
    off Django already uses ``handler404``, so this changes nothing in production.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and type(response) is HttpResponseNotFound:
            return page_not_found(request)
        return response
