"""Role-aware navigation: each entry says who sees it, with the very predicate its page checks
(``agencies.capabilities``), so the menu cannot offer a page that answers 404 or hide one that opens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from agencies import capabilities


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible_to: Callable[[Any], bool]  # asked with the request's user


NAVIGATION: list[NavItem] = [
    NavItem("Home", "home", capabilities.is_member),
    NavItem("Access trail", "audit-log", capabilities.is_auditor),
    NavItem("Record a concern", "concern-create", capabilities.can_record_concerns),
    NavItem("Young people", "subject-list", capabilities.can_list_subjects),
    # By name and date of birth (POST): MASH leads, and the data protection officer for subject access.
    NavItem("Find a young person", "subject-search", capabilities.can_search_subjects),
    NavItem("Possible duplicates", "duplicate-list", capabilities.can_merge_subjects),
    NavItem("Risk register", "register", capabilities.is_mash_lead),
    NavItem("Referrals", "referral-list", capabilities.works_referral_inbox),
    NavItem("My referrals", "my-referrals", capabilities.sees_own_referrals),
    # Her child-protection file moving between schools: schools' DSLs, and the MASH for overdue ones.
    NavItem("School transfers", "school-transfer-list", capabilities.sees_school_transfers),
    # Her home borough moving to another borough's MASH: asked of and by a MASH.
    NavItem("Borough transfers", "borough-transfer-list", capabilities.is_mash_lead),
    # Case work: actions owned by the member, their agency or borough; the borough's MACE panel.
    NavItem("Actions", "action-list", capabilities.sees_actions),
    NavItem("MACE meetings", "mace-list", capabilities.runs_mace),
    # Django admin admits staff, and staff is set from the administrator role (agencies.services).
    NavItem("Administration", "admin:index", capabilities.is_administrator),
    NavItem("Contexts of concern", "contexts", capabilities.is_mash_lead),  # association map
    # Data protection: emergency access for MASH leads; the officer's subject access and erasure pages.
    NavItem("Emergency access", "break-glass", capabilities.can_break_glass),
    NavItem("Subject access", "subject-access", capabilities.can_answer_subject_access),
    NavItem("Erasure forecast", "erasure-forecast", capabilities.can_see_erasure_forecast),
    # Partnership analysts: aggregates only.
    NavItem("Statistics", "statistics", capabilities.can_see_statistics),
]


def items_for(request: HttpRequest) -> list[dict[str, object]]:
    """The navigation entries this request's user may see, marking the current one."""
    items = []
    for item in NAVIGATION:
        if item.visible_to(getattr(request, "user", None)):
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
