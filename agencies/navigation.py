"""Role-aware navigation: each entry says who sees it."""

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


def _has_any_role(*codes: str) -> Callable[[HttpRequest], bool]:
    checks = [_has_role(code) for code in codes]
    return lambda request: any(check(request) for check in checks)


NAVIGATION: list[NavItem] = [
    NavItem("Home", "home", lambda request: getattr(request, "membership", None) is not None),
    NavItem("Access trail", "audit-log", _has_role(RoleCode.AUDITOR)),
    NavItem("Record a concern", "concern-create", _has_any_role(RoleCode.PRACTITIONER, RoleCode.DSL)),
    NavItem(
        "Young people", "subject-list",
        _has_any_role(RoleCode.PRACTITIONER, RoleCode.DSL, RoleCode.MASH_LEAD, RoleCode.RECEIVING_WORKER),
    ),
    NavItem("Possible duplicates", "duplicate-list", _has_role(RoleCode.MASH_LEAD)),
    NavItem("Risk register", "register", _has_role(RoleCode.MASH_LEAD)),
    NavItem("Referrals", "referral-list", _has_any_role(RoleCode.MASH_LEAD, RoleCode.RECEIVING_WORKER)),
    NavItem("My referrals", "my-referrals", _has_role(RoleCode.DSL)),
    NavItem("Administration", "admin:index", _has_role(RoleCode.ADMINISTRATOR)),
    NavItem("Contexts of concern", "contexts", _has_role(RoleCode.MASH_LEAD)),  # association map
    # Data protection: emergency access for MASH leads; the officer's subject access and erasure pages.
    NavItem("Emergency access", "break-glass", _has_role(RoleCode.MASH_LEAD)),
    NavItem("Subject access", "subject-access", _has_role(RoleCode.DATA_PROTECTION_OFFICER)),
    NavItem("Erasure forecast", "erasure-forecast", _has_role(RoleCode.DATA_PROTECTION_OFFICER)),
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
