"""The request the service's pages receive, typed with what the middleware attaches to it.

Django builds plain ``HttpRequest`` objects and the middleware adds attributes to them; these classes
only declare those attributes for the type checker (the pattern django-stubs documents for custom
request attributes). Annotate a view's ``request`` with ``CaseRequest`` when it serves signed-in
members: by the time such a view runs, ``MembershipMiddleware`` has either found the user's active
membership or signed them out and redirected them.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.auth.models import User

from agencies.models import Membership
from audit.context import AuditedRequest


class EmergencyGrant(Protocol):
    """What the access rules read of a break-glass grant (``dataprotection.models.BreakGlassGrant``)."""

    @property
    def user_id(self) -> int: ...

    @property
    def is_active(self) -> bool: ...


class SiteRequest(AuditedRequest):
    """Any request once the middleware has run, a visitor's included.

    ``membership``: the user's active membership (``agencies.middleware.MembershipMiddleware``), None for
    a visitor. ``break_glass``: the emergency-access grant a read-only page is opened under
    (``dataprotection.middleware.BreakGlassMiddleware``), or None.
    """

    membership: Membership | None
    break_glass: EmergencyGrant | None


class CaseRequest(SiteRequest):
    """A signed-in member's request: the user is a real account and the membership is there."""

    user: User
    membership: Membership
