"""Error pages in the service's look that reveal nothing about what was asked for.

A record that does not exist and one the user may not see both get the same 404 page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader


def _render(request: HttpRequest | None, template: str, status: int) -> HttpResponse:
    body: str
    try:
        body = loader.render_to_string(template, request=request)
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        body = "<!DOCTYPE html><title>Error</title><p>Sorry, there is a problem with the service.</p>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: the failure may lie in middleware that fills request attributes.
    return _render(None, "500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _render(request, "403_csrf.html", 403)
