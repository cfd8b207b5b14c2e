"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from agencies.navigation import items_for


def membership(request: HttpRequest) -> dict[str, object]:
    """The signed-in member, their navigation, and the service name."""
    return {
        "membership": getattr(request, "membership", None),
        "nav_items": items_for(request),
        "service_name": settings.SERVICE_NAME,
    }
