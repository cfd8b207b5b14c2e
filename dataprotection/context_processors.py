"""The emergency-access banner's data, for every page."""

from __future__ import annotations

from django.http import HttpRequest


def break_glass(request: HttpRequest) -> dict[str, object]:
    return {"break_glass": getattr(request, "break_glass", None)}
