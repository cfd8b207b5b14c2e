"""Session lifetime and the list of each user's sessions.

* Sign-in stores when it happened; ``AbsoluteSessionLifetimeMiddleware`` ends a session that old, however
  active (the idle timeout alone would let a session live for ever).
* Every sign-in is listed in ``UserSession``, so that deactivating a user or ending their membership can
  delete every one of their sessions at once (``end_sessions``), instead of waiting for their next request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

from agencies.models import UserSession
from audit.api import record
from audit.choices import Action

# Session keys (never shown to the user; the cookie carries only the session's random key).
SIGNED_IN_AT = "signed_in_at"
# When the user last proved who they are: the second factor, or the password for members without one.
FRESH_AUTH_AT = "fresh_auth_at"
# Whether the user had an authenticator when signing in, so each request need not look it up.
HAS_DEVICE = "has_otp_device"

LIFETIME_ENDED_MESSAGE = "For your security you have been signed out after {hours} hours. Sign in again."


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def remember_session(request: HttpRequest, user: User) -> None:
    """List this request's session as one of the user's, and forget their sessions that have expired."""
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    store = _session_store()
    stale = [row.session_key for row in UserSession.objects.filter(user=user)
             if not store().exists(row.session_key)]
    if stale:
        UserSession.objects.filter(session_key__in=stale).delete()
    UserSession.objects.update_or_create(session_key=key, defaults={"user": user})


def cycle_session(request: HttpRequest) -> None:
    """Give the session a new key (a privilege change: the second factor was given), keeping the list right."""
    old = request.session.session_key
    request.session.cycle_key()
    new = request.session.session_key
    if old and new and old != new:
        UserSession.objects.filter(session_key=old).update(session_key=new)


def end_sessions(user_ids: Iterable[int]) -> int:
    """Delete every listed session of these users at once; return how many there were."""
    rows = list(UserSession.objects.filter(user_id__in=list(user_ids)))
    store = _session_store()
    for row in rows:
        store(session_key=row.session_key).delete()
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Start the session's clocks and list it. Django's login() has already given it a new key."""
    from agencies.two_factor import has_confirmed_device

    has_device = has_confirmed_device(user)
    if not has_device:
        # Signed in with the password alone (a member who must set up an authenticator records its set-up
        # next, as ``create totp_device``). With an authenticator the password is not a sign-in yet: the
        # code completes it, and do_verify_second_factor records that one event. One event per sign-in.
        record(Action.LOGIN, actor=user, object_type="user", reference=str(user.pk),
               detail={"factor": "password", "purpose": "sign_in"})
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[HAS_DEVICE] = has_device
    if has_device:
        # The password alone is not fresh proof for someone who has a second factor.
        request.session.pop(FRESH_AUTH_AT, None)
    else:
        request.session[FRESH_AUTH_AT] = now
    remember_session(request, user)


def on_user_logged_out(sender: Any, request: HttpRequest | None, user: User | None,
                       **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session") and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


class AbsoluteSessionLifetimeMiddleware:
    """Sign out a session ``SESSION_ABSOLUTE_HOURS`` after it signed in, however active it has been.

    A signed-in session without a sign-in time was not started by this service's sign-in and is ended too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            started = session.get(SIGNED_IN_AT)
            limit = settings.SESSION_ABSOLUTE_HOURS * 3600
            if not isinstance(started, int | float) or time.time() - started > limit:
                logout(request)
                messages.info(request, LIFETIME_ENDED_MESSAGE.format(hours=settings.SESSION_ABSOLUTE_HOURS))
        return self.get_response(request)


def session_ends_at(request: HttpRequest, now: float | None = None) -> float | None:
    """When this signed-in session ends if nothing more happens (a Unix time), or None when signed out.

    The idle clock restarts with this request (``SESSION_SAVE_EVERY_REQUEST``); the absolute limit, from
    the sign-in time, never moves: whichever comes first.
    """
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return None
    now = time.time() if now is None else now
    idle_end = now + settings.SESSION_COOKIE_AGE
    started = session.get(SIGNED_IN_AT)
    if not isinstance(started, int | float):
        return idle_end
    return min(idle_end, started + settings.SESSION_ABSOLUTE_HOURS * 3600)
