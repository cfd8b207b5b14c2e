"""Authentication backend that grants model-level permissions from the user's roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from agencies.models import Membership
from agencies.roles import permissions_for_roles


class RoleBackend(ModelBackend):
    """Password authentication, with model-level permissions derived from active membership roles.

    Database user and group permissions are ignored on purpose: agency groups exist only to hold
    object-level grants, and a role's powers are defined in ``agencies.roles``.
    """

    def authenticate(self, request: Any, username: Any = None, password: Any = None, **kwargs: Any) -> Any:
        # An agency system's account (an API client's) signs in only with its client credentials, at the
        # API: never with a password here, whatever password it may have come to hold. (Its sessions, if
        # any, end at MembershipMiddleware, which loads the membership anyway: no query per page here.)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and Membership.objects.filter(user_id=user.pk, is_system_account=True).exists():
            return None
        return user

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        membership = (
            Membership.objects.filter(user=user_obj, is_active=True, agency__is_active=True)
            .prefetch_related("roles")
            .first()
        )
        if membership is None:
            return set()
        return permissions_for_roles(membership.role_codes)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()
