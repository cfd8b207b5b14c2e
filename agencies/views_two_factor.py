"""Pages of two-factor authentication: verify at sign-in, set up, account security, and step-up."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticToken

from agencies import services
from agencies.forms import EnrolmentForm, PasswordConfirmForm, SecondFactorForm
from agencies.http import CaseRequest
from agencies.sessions import HAS_DEVICE, cycle_session
from agencies.two_factor import (
    base32_key,
    format_recovery_code,
    grouped,
    has_confirmed_device,
    mark_fresh,
    needs_second_factor,
    new_totp_key,
    provisioning_uri,
    qr_data_uri,
    role_requires_two_factor,
    safe_next,
    step_up_redirect,
    two_factor_exempt,
)

# The key of an authenticator being set up, kept server-side in the session until its first code is right.
PENDING_KEY = "pending_totp_key"
STEP_UP_FAILURES = "step_up_failures"

WRONG_CODE = (
    "That code is not right. Enter the 6-digit code your authenticator app shows now for this service, "
    "or one of your recovery codes."
)
NOT_A_CODE = "Enter the 6 digits from your authenticator app, or a recovery code of 10 letters and numbers."


def _throttled_message(until: Any) -> str:
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 1
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many wrong codes. Wait {seconds} {unit}, then try again."


def _failure_message(result: services.SecondFactorResult) -> str:
    if result.throttled_until is not None:
        return _throttled_message(result.throttled_until)
    if not result.factor:
        return NOT_A_CODE
    return WRONG_CODE


def _next(request: CaseRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _after_second_factor(request: CaseRequest, result: services.SecondFactorResult) -> None:
    django_otp.login(request, result.device)
    # The session now carries more privilege: give it a new key, as at sign-in.
    cycle_session(request)
    mark_fresh(request)
    request.session.pop(STEP_UP_FAILURES, None)
    left = result.recovery_codes_left
    if left is not None:
        level = messages.WARNING if left <= 3 else messages.INFO
        messages.add_message(
            request, level,
            f"You used a recovery code. You have {left} left. Make new ones under Account security if you are "
            "running out, and tell your administrator if you have lost your phone.")


@two_factor_exempt
@require_http_methods(["GET", "POST"])
def verify(request: CaseRequest) -> HttpResponse:
    """After the password: the code from the authenticator app, or a recovery code."""
    next_url = _next(request)
    if not needs_second_factor(request):
        return redirect(next_url)
    if not request.session.get(HAS_DEVICE, False):
        return redirect(f"{reverse('two-factor-setup')}?{urlencode({'next': next_url})}")
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = services.do_verify_second_factor(
            user=request.user, token=form.cleaned_data["otp_token"], purpose="sign_in", actor=request.user)
        if result.ok:
            _after_second_factor(request, result)
            return redirect(next_url)
        form.add_error("otp_token", _failure_message(result))
    return render(request, "agencies/two_factor/verify.html", {"form": form, "next": next_url},
                  status=200)


@two_factor_exempt
@require_http_methods(["GET", "POST"])
def setup(request: CaseRequest) -> HttpResponse:
    """Add an authenticator app: QR code and key, confirm with its first code, then the recovery codes."""
    next_url = _next(request)
    if has_confirmed_device(request.user):
        if needs_second_factor(request):
            return redirect(f"{reverse('two-factor-verify')}?{urlencode({'next': next_url})}")
        messages.info(request, "You already have an authenticator app set up.")
        return redirect("account-security")
    key = request.session.get(PENDING_KEY)
    if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{40}", key):
        key = new_totp_key()
        request.session[PENDING_KEY] = key
    form = EnrolmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = services.do_enrol_totp_device(
                user=request.user, key=key, token=form.cleaned_data["otp_token"], actor=request.user)
        except ValidationError as error:
            messages.info(request, error.messages[0])
            return redirect("account-security")
        if enrolled is not None:
            device, codes = enrolled
            request.session.pop(PENDING_KEY, None)
            request.session[HAS_DEVICE] = True
            _after_second_factor(request, services.SecondFactorResult(device=device, factor="totp"))
            return render(request, "agencies/two_factor/recovery_codes.html", {
                "codes": [format_recovery_code(code) for code in codes], "next": next_url, "first_time": True})
        form.add_error("otp_token", "That code is not right. Check the time on your phone is correct, then "
                                    "enter the code your authenticator app shows now.")
    uri = provisioning_uri(request.user, key)
    return render(request, "agencies/two_factor/setup.html", {
        "form": form, "next": next_url, "qr": qr_data_uri(uri), "manual_key": grouped(base32_key(key)),
        "required": role_requires_two_factor(getattr(request, "membership", None)),
    }, status=200)


@require_http_methods(["GET"])
def account(request: CaseRequest) -> HttpResponse:
    """Account security: whether two-factor authentication is on, recovery codes left, what can be changed."""
    has_device = has_confirmed_device(request.user)
    codes_left = StaticToken.objects.filter(device__user_id=request.user.pk).count() if has_device else 0
    return render(request, "agencies/two_factor/account.html", {
        "has_device": has_device, "codes_left": codes_left,
        "required": role_requires_two_factor(getattr(request, "membership", None)),
    })


@require_POST
def recovery_codes(request: CaseRequest) -> HttpResponse:
    """Replace the recovery codes (after a fresh second factor) and show the new ones once."""
    stale = step_up_redirect(request, next_url=reverse("account-security"))
    if stale is not None:
        return stale
    try:
        codes = services.do_regenerate_recovery_codes(user=request.user, actor=request.user)
    except ValidationError as error:
        messages.info(request, error.messages[0])
        return redirect("account-security")
    return render(request, "agencies/two_factor/recovery_codes.html", {
        "codes": [format_recovery_code(code) for code in codes], "next": reverse("account-security")})


@require_POST
def remove(request: CaseRequest) -> HttpResponse:
    """Turn two-factor authentication off, for members whose roles do not require it."""
    if role_requires_two_factor(getattr(request, "membership", None)):
        raise PermissionDenied
    if not has_confirmed_device(request.user):
        return redirect("account-security")
    stale = step_up_redirect(request, next_url=reverse("account-security"))
    if stale is not None:
        return stale
    services.do_reset_two_factor(user=request.user, actor=request.user)
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    request.session[HAS_DEVICE] = False
    mark_fresh(request)  # the password is now this member's strongest proof, and they just gave a code
    messages.success(request, "Two-factor authentication is off. Your recovery codes no longer work.")
    return redirect("account-security")


@require_http_methods(["GET", "POST"])
def step_up(request: CaseRequest) -> HttpResponse:
    """Confirm it is you: the second factor again (or the password, without one), then back where you were."""
    next_url = _next(request)
    uses_device = has_confirmed_device(request.user)
    form_class = SecondFactorForm if uses_device else PasswordConfirmForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if uses_device:
            result = services.do_verify_second_factor(
                user=request.user, token=form.cleaned_data["otp_token"], purpose="step_up", actor=request.user)
            ok, error = result.ok, ("" if result.ok else _failure_message(result))
        else:
            ok = services.do_confirm_password(
                user=request.user, password=form.cleaned_data["password"], actor=request.user)
            error = "" if ok else "Your password is not right. Enter the password you signed in with."
        if ok:
            if uses_device:
                _after_second_factor(request, result)
            else:
                mark_fresh(request)
                request.session.pop(STEP_UP_FAILURES, None)
            return redirect(next_url)
        failures = int(request.session.get(STEP_UP_FAILURES, 0)) + 1
        if failures >= settings.AXES_FAILURE_LIMIT:
            logout(request)
            messages.error(request, "You have been signed out after too many wrong answers. Sign in again.")
            return redirect("login")
        request.session[STEP_UP_FAILURES] = failures
        form.add_error("otp_token" if uses_device else "password", error)
    return render(request, "agencies/two_factor/step_up.html", {
        "form": form, "next": next_url, "uses_device": uses_device, "minutes": settings.STEP_UP_MINUTES,
    }, status=200)
