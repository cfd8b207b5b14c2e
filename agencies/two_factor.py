"""Two-factor authentication and step-up re-authentication.

* Members holding a role in ``OTP_REQUIRED_ROLES`` (and anyone who chose to set up an authenticator)
  give a second factor after their password: a code from an authenticator app (django-otp's TOTP device)
  or one of ten single-use recovery codes (django-otp's static device). Until they do, the session is
  *unverified* and ``TwoFactorMiddleware`` lets it reach only the pages marked ``two_factor_exempt``
  (verify, set up, sign out) and the public ones.
* ``step_up_required`` (a decorator) and ``step_up_redirect`` (for use inside a view, after its own access
  checks, so that a page someone may not see still answers 404) ask for the second factor again, or the
  password for members without one, unless it was given within ``STEP_UP_MINUTES``. Put them on exports,
  merges, erasure, break-glass and subject-access pages.
* Recovery codes are stored only as a keyed hash (HMAC with a key derived from ``SECRET_KEY``), so a copy
  of the database does not hand them out; rotating ``SECRET_KEY`` makes unused codes stop working (members
  make new ones on their account page).
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.http import CaseRequest
from agencies.sessions import FRESH_AUTH_AT, HAS_DEVICE
from audit.context import AuditedRequest

RECOVERY_CODE_SALT = "agencies.two_factor.recovery_code"
# Ten characters of base32: 50 bits each, shown as two groups of five.
RECOVERY_CODE_LENGTH = 10
TOTP_PATTERN = re.compile(r"^\d{6}$")
RECOVERY_PATTERN = re.compile(rf"^[a-z2-7]{{{RECOVERY_CODE_LENGTH}}}$")


def required_roles() -> frozenset[str]:
    return frozenset(settings.OTP_REQUIRED_ROLES)


def role_requires_two_factor(membership: Any) -> bool:
    """Whether any of the member's roles requires a second factor."""
    return membership is not None and bool(membership.role_codes & required_roles())


def has_confirmed_device(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def is_verified(request: HttpRequest) -> bool:
    """Whether this session has given a second factor (django-otp's session key, checked by its middleware)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def needs_second_factor(request: HttpRequest) -> bool:
    """A signed-in session that must give a second factor before it may do anything else."""
    if not request.user.is_authenticated or is_verified(request):
        return False
    return role_requires_two_factor(getattr(request, "membership", None)) or bool(
        request.session.get(HAS_DEVICE, False)
    )


def mark_fresh(request: HttpRequest) -> None:
    request.session[FRESH_AUTH_AT] = time.time()


def is_fresh(request: HttpRequest) -> bool:
    """Whether the member proved who they are within the last ``STEP_UP_MINUTES``."""
    when = request.session.get(FRESH_AUTH_AT)
    return isinstance(when, int | float) and 0 <= time.time() - when <= settings.STEP_UP_MINUTES * 60


def safe_next(request: HttpRequest, candidate: str | None, default: str = "home") -> str:
    """``candidate`` if it is a path on this site, otherwise the URL of ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def _with_next(url_name: str, request: HttpRequest) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"


def step_up_redirect(request: HttpRequest, next_url: str | None = None) -> HttpResponse | None:
    """A redirect to the step-up page when the member's proof is not fresh, otherwise None.

    After the step-up the member comes back to ``next_url`` (default: this page) by GET; a stale POST is
    never replayed, so POST-only actions name the page their form is on.
    """
    if is_fresh(request):
        return None
    # The audited view around this records the redirect; say it was a step-up, not the export itself.
    # Every request has been through audit's RequestContextMiddleware: it is an AuditedRequest.
    audited = cast(AuditedRequest, request)
    audited.audit_detail = {**(getattr(request, "audit_detail", None) or {}), "step_up": "required"}
    back = next_url or request.get_full_path()
    return redirect(f"{reverse('step-up')}?{urlencode({'next': back})}")


def step_up_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Ask for fresh proof (second factor, or password) before ``view``; put it below the access checks."""

    @wraps(view)
    def wrapper(request: CaseRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = step_up_redirect(request)
        return response if response is not None else view(request, *args, **kwargs)

    wrapper.step_up_required = True  # type: ignore[attr-defined]  # a marker on the function, for whoever inspects a view
    return wrapper


def two_factor_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view an unverified session may reach (verify, set up, sign out)."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]  # a marker on the function, read by the middleware
    return view


class TwoFactorMiddleware:
    """Unverified sessions reach nothing but the exempt pages: pages redirect to verify (or set-up), other
    methods are refused with 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view_func, "login_required", True) is False or getattr(view_func, "two_factor_exempt", False):
            return None
        view_class = getattr(view_func, "view_class", None)
        if view_class is not None and getattr(view_class, "two_factor_exempt", False):
            return None
        if not needs_second_factor(request):
            return None
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        if request.session.get(HAS_DEVICE, False):
            return redirect(_with_next("two-factor-verify", request))
        return redirect(_with_next("two-factor-setup", request))


# --- Recovery codes ------------------------------------------------------------------------------------


def new_recovery_code() -> str:
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:RECOVERY_CODE_LENGTH]


def normalise_code(raw: str) -> str:
    """What the member typed, without spaces or hyphens, in lower case."""
    return re.sub(r"[\s\-]", "", raw or "").lower()


def recovery_code_digest(user_id: int, code: str) -> str:
    """The stored form of a recovery code: 16 hex characters of an HMAC bound to the user."""
    return salted_hmac(RECOVERY_CODE_SALT, f"{user_id}:{normalise_code(code)}", algorithm="sha256").hexdigest()[:16]


def format_recovery_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


# --- Authenticator keys --------------------------------------------------------------------------------


def new_totp_key() -> str:
    """A random 20-byte key, hex-encoded as django-otp stores it."""
    return secrets.token_hex(20)


def base32_key(hex_key: str) -> str:
    """The key as an authenticator app's "enter a key manually" expects it (base32, no padding)."""
    return base64.b32encode(bytes.fromhex(hex_key)).decode("ascii").rstrip("=")


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code the device's authenticator shows now (or at ``at``): for the demo and tests only."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def provisioning_uri(user: AbstractBaseUser, hex_key: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    device = TOTPDevice(user=user, key=hex_key)
    return device.config_url


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI (``img-src data:`` is allowed by the CSP; no inline markup or style)."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)
