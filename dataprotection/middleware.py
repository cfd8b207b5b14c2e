"""Marks a request that reads a record under emergency (break-glass) access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from agencies import capabilities
from agencies.http import SiteRequest
from dataprotection.breakglass import READ_ONLY_PAGES, grant_for_page


class BreakGlassMiddleware:
    """Before a read-only subject page runs, find whether this MASH lead reads it under an active grant.

    If so, ``request.break_glass`` holds the grant: the access rules then admit that one subject (see
    ``agencies.permissions.break_glass_rule``), the page shows the emergency-access banner, and the
    page's access event is flagged ``break_glass``. Only GET and HEAD: emergency access never writes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: SiteRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
        request.break_glass = None
        if request.method not in ("GET", "HEAD"):
            return None
        match = request.resolver_match
        if match is None or match.url_name not in READ_ONLY_PAGES:
            return None
        if not capabilities.can_break_glass(request.user):
            return None
        request.break_glass = grant_for_page(
            request.user, match.url_name, str(view_kwargs.get("reference", ""))
        )
        return None
