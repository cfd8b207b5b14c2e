"""Read side of emergency access: which grant a page is opened under, and which record a lead may open."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agencies.permissions import READ_ONLY_CASE_PAGES
from dataprotection.models import BreakGlassGrant
from referrals.models import Subject

# The read-only pages that emergency access opens (shared with a harm borough's access). Forms and
# everything that writes (merge, refer, map edits, register entries, decisions) stay closed.
READ_ONLY_PAGES = READ_ONLY_CASE_PAGES
_SUBJECT_BY_PREFIX = {"S": "subject__reference", "C": "subject__concerns__reference",
                      "R": "subject__referrals__reference"}


def grant_for_page(user: Any, url_name: str, reference: str) -> BreakGlassGrant | None:
    """The active grant under which ``user`` reads this page, or None.

    None also when the user can see the record through their normal access: then the read is an
    ordinary one and is not recorded as emergency access.
    """
    prefix = READ_ONLY_PAGES.get(url_name)
    if prefix is None or not reference or not reference.startswith(prefix + "-"):
        return None
    grant = (
        BreakGlassGrant.objects.restrict(user, "view").active()
        .filter(Q(user=user), Q(**{_SUBJECT_BY_PREFIX[prefix]: reference}))
        .order_by("-expires_at")
        .first()
    )
    if grant is None:
        return None
    # Called before the request carries the grant, so this is the user's normal access only.
    if Subject.objects.restrict(user, "view").filter(pk=grant.subject_id).exists():
        return None
    return grant


def find_subject_to_open(reference: str) -> Any:
    """Any subject in London by reference number, for the emergency-access form (never for a page)."""
    return Subject.objects.filter(reference=reference).select_related("home_borough").first()


def normally_visible(user: Any, subject: Any) -> bool:
    return Subject.objects.restrict(user, "view").filter(pk=subject.pk).exists()


def grants_for_review(user: Any, pending_only: bool) -> Any:
    """Every emergency opening ``user`` may review (auditors: all), newest first."""
    grants = BreakGlassGrant.objects.restrict(user, "review").select_related("subject", "user", "agency",
                                                                             "reviewed_by")
    if pending_only:
        grants = grants.filter(reviewed_at__isnull=True)
    return grants.order_by("-opened_at", "id")
