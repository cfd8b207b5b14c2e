"""The access-rule clause that break-glass adds to subjects and what hangs off them.

Kept free of model imports so ``referrals.models`` and ``risk.map_models`` can call it from their
``access_rule``. The clause is empty unless the current request is a read-only page that
``dataprotection.middleware.BreakGlassMiddleware`` has found to be opened under an active grant of this
very user; so emergency access never reaches a form, a POST, a list, a service run outside a request, or
any subject but the one the page is about.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from agencies.permissions import NOTHING
from audit.context import get_current_request


def current_grant(membership: Any) -> Any:
    """The active break-glass grant this request reads under, for this member, or None."""
    request = get_current_request()
    grant = getattr(request, "break_glass", None) if request is not None else None
    if grant is None or grant.user_id != membership.user_id or not grant.is_active:
        return None
    return grant


def break_glass_rule(membership: Any, subject_field: str) -> Q:
    """``Q(<subject_field>=<the granted subject>)`` while a grant applies, otherwise nothing."""
    grant = current_grant(membership)
    if grant is None:
        return NOTHING
    return Q(**{subject_field: grant.subject_id})
