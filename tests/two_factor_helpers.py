"""Authenticators and codes for tests: personas' devices, verified sessions, the code at a given time."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Membership
from agencies.sessions import FRESH_AUTH_AT
from agencies.two_factor import current_code

UNVERIFIED_SUFFIX = ":unverified"


def requires_two_factor(user: AbstractBaseUser) -> bool:
    membership = Membership.objects.filter(user=user).prefetch_related("roles").first()
    return membership is not None and bool(membership.role_codes & set(settings.OTP_REQUIRED_ROLES))


def ensure_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The user's confirmed authenticator, added (without an audit event: this is test plumbing) if missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)


def mark_session_verified(client: Client, device: TOTPDevice, fresh_at: float | None = None) -> None:
    """What entering a code does to the session: django-otp's device key, and the step-up clock."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[FRESH_AUTH_AT] = time.time() if fresh_at is None else fresh_at
    session.save()


def set_session_value(client: Client, key: str, value: object) -> None:
    session = client.session
    session[key] = value
    session.save()


def code_for(user: AbstractBaseUser, *, offset_steps: int = 0) -> str:
    """The code the user's authenticator shows now, or ``offset_steps`` 30-second steps away."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return current_code(device, at=time.time() + offset_steps * device.step)
