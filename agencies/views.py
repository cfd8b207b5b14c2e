"""Sign-in, the home page of each role, and the health check."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import services
from agencies.forms import SetPasswordForm, SignInForm
from agencies.http import CaseRequest, SiteRequest
from agencies.models import Membership
from agencies.roles import ROLE_DESCRIPTIONS
from agencies.sessions import HAS_DEVICE, session_ends_at
from agencies.two_factor import needs_second_factor, two_factor_exempt
from drafts.web import offers as draft_offers


class SignInView(auth_views.LoginView):
    """The sign-in page; a new session key is issued on success (Django's login rotates it)."""

    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    request: SiteRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        return context

    def get_success_url(self) -> str:
        # Straight on to the second factor when one is needed (the middleware would send them there anyway).
        destination = super().get_success_url()
        user = self.request.user
        if getattr(self.request, "membership", None) is None and user.is_authenticated:
            # The middleware ran while the visitor was still anonymous (signed in by now).
            self.request.membership = (
                Membership.objects.filter(user=user, is_active=True, agency__is_active=True)
                .prefetch_related("roles").first()
            )
        if needs_second_factor(self.request):
            step = "two-factor-verify" if self.request.session.get(HAS_DEVICE) else "two-factor-setup"
            return f"{reverse(step)}?{urlencode({'next': destination})}"
        return destination


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict[str, Any] | None = None) -> HttpResponse:
    """Shown instead of the sign-in page while an account or address is in its cool-off period."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, so a link elsewhere cannot sign a user out)."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Parse the body before the session ends: a body Django refuses (too large, too many fields) is
        # then a 400 that changed nothing, not a 400 after a sign-out already recorded.
        request.POST.get("next")
        return super().post(request, *args, **kwargs)


@require_GET
def home(request: CaseRequest) -> HttpResponse:
    """The landing page: who you are, where, and what your roles let you do."""
    membership = request.membership
    roles = [
        {"code": role.code, "label": role.label, "description": ROLE_DESCRIPTIONS.get(role.code, "")}
        for role in membership.roles.all()
    ]
    return render(request, "agencies/home.html", {"roles": roles, "agency": membership.agency,
                                                  "draft_offers": draft_offers(request.user)})


@never_cache
@require_POST
def session_keep_alive(request: HttpRequest) -> JsonResponse:
    """"Stay signed in" (the timeout warning): this request restarts the idle clock, as every request does
    (``SESSION_SAVE_EVERY_REQUEST``), and answers when the session now ends. Never past the absolute
    lifetime: that clock runs from sign-in (``AbsoluteSessionLifetimeMiddleware`` has already signed out a
    session past it, which is then sent to sign in like any visitor)."""
    now = time.time()
    ends = session_ends_at(request, now) or now
    request.session.modified = True
    ends_at = dt.datetime.fromtimestamp(ends, tz=dt.UTC)
    return JsonResponse({
        "seconds_left": max(0, round(ends - now)),
        "ends_at": ends_at.isoformat(),
        "ends_at_text": timezone.localtime(ends_at).strftime("%H:%M"),
        "absolute": ends < now + settings.SESSION_COOKIE_AGE,
    })


@login_not_required
@two_factor_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, token: str) -> HttpResponse:
    """Where an invited person sets their own password with a single-use link.

    An unknown, used, revoked or expired link gets the same page, so the answer tells nothing about which.
    Setting the password signs out whoever this browser was signed in as; the person then signs in, and
    sets up their second factor there if their role requires one.
    """
    invitation = services.usable_invitation(token)
    if invitation is None:
        response = render(request, "registration/set_password_expired.html", status=404)
    else:
        form = SetPasswordForm(invitation.user, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            user = services.do_accept_invitation(token=token, password=form.cleaned_data["new_password1"])
            if user is not None:
                if request.user.is_authenticated:
                    logout(request)
                messages.success(request, "Your password is set. Sign in with your username and new password.")
                return redirect("login")
            response = render(request, "registration/set_password_expired.html", status=404)
        else:
            response = render(request, "registration/set_password.html",
                              {"form": form, "username": invitation.user.get_username()})
    # The token is in the address: never send it on to another site.
    response["Referrer-Policy"] = "no-referrer"
    return response


