"""Every signed-in request must belong to an active membership of an active agency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from agencies.http import SiteRequest
from agencies.models import Membership

NO_MEMBERSHIP_MESSAGE = (
    "Your account is not linked to an active agency, so you have been signed out. "
    "Ask your administrator to check your account."
)


class MembershipMiddleware:
    """Attach ``request.membership``; sign out anyone whose membership or agency is not active.

    Checked on every request so that removing a membership takes effect at once, not at next sign-in.
    Pages open to visitors (sign-in, health) still answer, as to a visitor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: SiteRequest) -> HttpResponse:
        request.membership = None
        return self.get_response(request)

    def process_view(
        self, request: SiteRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        membership = (
            Membership.objects.select_related("agency__borough")
            .prefetch_related("roles")
            .filter(user=request.user, is_active=True, agency__is_active=True)
            .first()
        )
        if membership is not None and not membership.is_system_account:
            request.membership = membership
            # Share it with restrict(), which reads the user's membership, so a page loads it once.
            request.user._state.fields_cache["membership"] = membership
            return None
        logout(request)
        if getattr(view_func, "login_required", True) is False:
            return None
        messages.error(request, NO_MEMBERSHIP_MESSAGE)
        return redirect("login")
