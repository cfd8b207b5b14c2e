"""Template context shared by every page."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.http import HttpRequest

from agencies.navigation import items_for
from agencies.sessions import session_ends_at


def membership(request: HttpRequest) -> dict[str, object]:
    """The signed-in member, their navigation, and the service name."""
    return {
        "membership": getattr(request, "membership", None),
        "nav_items": items_for(request),
        "service_name": settings.SERVICE_NAME,
    }


def session_timeout(request: HttpRequest) -> dict[str, object]:
    """When the signed-in session ends if the user does nothing: for the sentence every page shows
    without JavaScript and for the timeout warning (static/js/timeout-warning.js)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "membership", None) is None:
        return {}
    now = time.time()
    ends = session_ends_at(request, now)
    if ends is None:
        return {}
    ends_at = datetime.datetime.fromtimestamp(ends, tz=datetime.UTC)
    return {"session_timeout": {
        "ends_at": ends_at,
        "seconds_left": max(0, round(ends - now)),
        "warning_seconds": settings.SESSION_WARNING_SECONDS,
        "absolute_hours": settings.SESSION_ABSOLUTE_HOURS,
        # The absolute limit comes first: "Stay signed in" cannot give more time.
        "absolute": ends < now + settings.SESSION_COOKIE_AGE,
    }}
