"""Response headers that protect case data in browsers and proxies."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
