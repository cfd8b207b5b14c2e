"""Role-aware navigation: each entry says who sees it. Later apps append their own entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from agencies.choices import RoleCode


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible_to: Callable[[HttpRequest], bool]


def _has_role(code: str) -> Callable[[HttpRequest], bool]:
    def check(request: HttpRequest) -> bool:
        membership = getattr(request, "membership", None)
        return membership is not None and membership.has_role(code)

    return check


NAVIGATION: list[NavItem] = [
    NavItem("Home", "home", lambda request: getattr(request, "membership", None) is not None),
    NavItem("Access trail", "audit-log", _has_role(RoleCode.AUDITOR)),
    NavItem("Administration", "admin:index", _has_role(RoleCode.ADMINISTRATOR)),
]


def items_for(request: HttpRequest) -> list[dict[str, object]]:
    """The navigation entries this request's user may see, marking the current one."""
    items = []
    for item in NAVIGATION:
        if item.visible_to(request):
            href = reverse(item.url_name)
            items.append(
                {
                    "label": item.label,
                    "href": href,
                    "active": request.path == href
                    or (href != "/" and request.path.startswith(href)),
                }
            )
    return items
