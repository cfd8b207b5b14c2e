"""The unread count in the header of every page: one query per request, and only when a page shows it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.services import unread_count

_CACHE = "_unread_notifications"


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """``unread_notifications``: the signed-in member's unread count, asked once per request (cached on
    the request, so a second render or a second template reading it costs nothing)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "membership", None) is None:
        return {}

    return {"unread_notifications": SimpleLazyObject(lambda: cached_unread_count(request))}


def cached_unread_count(request: HttpRequest) -> int:
    """The request's user's unread count, asked of the database once per request."""
    if not hasattr(request, _CACHE):
        setattr(request, _CACHE, unread_count(request.user))  # type: ignore[arg-type]  # a signed-in member
    return int(getattr(request, _CACHE))
