"""Business actions on agencies and memberships.

Every change goes through these functions, in one transaction, so that the agency's group, the user's
staff flag and the history rows can never drift from the membership that implies them.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import two_factor
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough, Membership, Role
from agencies.sessions import end_sessions
from audit.api import record
from audit.choices import Action, Outcome
from audit.history import set_history_user

User = get_user_model()


@transaction.atomic
def do_create_agency(
    *,
    name: str,
    kind: str,
    borough: Borough,
    official_code: str = "",
    actor: AbstractBaseUser | None,
) -> Agency:
    """Create an agency together with the group that will hold its object-level shares."""
    if kind not in AgencyKind.values:
        raise ValidationError({"kind": "Choose a kind of agency from the list."})
    group = Group.objects.create(name=f"agency-{uuid.uuid4().hex}")
    agency = Agency(name=name.strip(), kind=kind, borough=borough, official_code=official_code.strip(),
                    group=group)
    agency.full_clean()
    set_history_user(agency, actor)
    agency.save()
    record(Action.CREATE, actor=actor, object_type="agency", reference=str(agency.pk), borough=borough,
           detail={"kind": kind})
    return agency


@transaction.atomic
def do_update_agency(agency: Agency, *, actor: AbstractBaseUser | None, **changes: object) -> Agency:
    """Change an agency's name, kind, borough, official code or active flag."""
    allowed = {"name", "kind", "borough", "official_code", "is_active"}
    unexpected = set(changes) - allowed
    if unexpected:
        raise ValidationError(f"These agency fields cannot be changed here: {', '.join(sorted(unexpected))}.")
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    for field, value in changes.items():
        setattr(agency, field, value)
    agency.full_clean()
    set_history_user(agency, actor)
    agency.save()
    detail: dict[str, Any] = {"fields": ",".join(sorted(changes))}
    if not agency.is_active:
        # Its members lose access now, not at their next request.
        detail["sessions_ended"] = end_sessions(agency.memberships.values_list("user_id", flat=True))
    record(Action.UPDATE, actor=actor, object_type="agency", reference=str(agency.pk),
           borough=agency.borough, detail=detail)
    return agency


@transaction.atomic
def do_set_membership(
    *,
    user: AbstractBaseUser,
    agency: Agency,
    roles: Iterable[str],
    is_active: bool = True,
    actor: AbstractBaseUser | None,
) -> Membership:
    """Make ``user`` a member of ``agency`` with exactly ``roles``, creating or replacing the membership.

    The user's groups become just the agency's group (object-level shares follow the agency), and the
    staff flag that opens Django admin follows the administrator role.
    """
    membership, created = _set_membership(user=user, agency=agency, roles=roles, is_active=is_active,
                                          actor=actor)
    detail: dict[str, Any] = {"user": user.pk, "agency": agency.pk, "roles": ",".join(sorted(set(roles))),
                              "active": is_active}
    if not is_active:
        # Ending the membership ends the user's sessions at once (ASVS 7.4.2).
        detail["sessions_ended"] = end_sessions([user.pk])
    record(Action.CREATE if created else Action.UPDATE, actor=actor, object_type="membership",
           reference=str(membership.pk), borough=agency.borough, detail=detail)
    return membership


def _set_membership(
    *, user: AbstractBaseUser, agency: Agency, roles: Iterable[str], is_active: bool,
    actor: AbstractBaseUser | None,
) -> tuple[Membership, bool]:
    # The work of do_set_membership without its audit event, so do_create_user writes exactly one.
    role_codes = sorted(set(roles))
    if not role_codes:
        raise ValidationError({"roles": "Choose at least one role."})
    unknown = set(role_codes) - set(RoleCode.values)
    if unknown:
        raise ValidationError({"roles": "Choose roles from the list."})

    user = User.objects.select_for_update().get(pk=user.pk)
    membership = Membership.objects.select_for_update().filter(user=user).first()
    created = membership is None
    if membership is None:
        membership = Membership(user=user, agency=agency, is_active=is_active)
    else:
        membership.agency = agency
        membership.is_active = is_active
    set_history_user(membership, actor)
    membership.save()
    membership.roles.set(Role.objects.filter(code__in=role_codes))

    user.groups.set([agency.group])
    is_staff = RoleCode.ADMINISTRATOR in role_codes and is_active
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    return membership, created


@transaction.atomic
def do_create_user(
    *,
    username: str,
    password: str | None,
    agency: Agency,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    actor: AbstractBaseUser | None,
) -> AbstractBaseUser:
    """Create a user account and its membership in one step."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "A user with that username already exists."})
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    roles = sorted(set(roles))
    _set_membership(user=user, agency=agency, roles=roles, is_active=True, actor=actor)
    # One event for the account and its first membership; the username stays out of the trail.
    record(Action.CREATE, actor=actor, object_type="user", reference=str(user.pk), borough=None,
           detail={"agency": agency.pk, "roles": ",".join(roles)})
    user.refresh_from_db()
    return user


# --- Accounts, sessions and two-factor authentication ------------------------------------------------


@transaction.atomic
def do_set_user_active(user: AbstractBaseUser, *, is_active: bool, actor: AbstractBaseUser | None) -> int:
    """Activate or deactivate an account; deactivating ends every session of the user at once.

    Returns how many sessions were ended.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active != is_active:
        user.is_active = is_active
        user.save(update_fields=["is_active"])
    ended = 0 if is_active else end_sessions([user.pk])
    record(Action.UPDATE, actor=actor, object_type="user", reference=str(user.pk),
           detail={"active": is_active, "sessions_ended": ended})
    return ended


@dataclass(frozen=True)
class SecondFactorResult:
    """What checking a code found: the device that accepted it, or why none did."""

    device: Device | None
    factor: str  # "totp", "recovery_code" or "" when the input was neither
    throttled_until: datetime | None = None
    recovery_codes_left: int | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None


def _recovery_codes(user: AbstractBaseUser, count: int) -> tuple[StaticDevice, list[str]]:
    # One static device per user holds the codes; making new codes replaces every old one.
    device, _ = StaticDevice.objects.select_for_update().get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True})
    device.token_set.all().delete()
    codes = [two_factor.new_recovery_code() for _ in range(count)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=two_factor.recovery_code_digest(user.pk, code)) for code in codes)
    device.throttle_reset(commit=False)
    device.confirmed = True
    device.save()
    return device, codes


@transaction.atomic
def do_enrol_totp_device(
    *, user: AbstractBaseUser, key: str, token: str, actor: AbstractBaseUser
) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm an authenticator app that shows ``token`` for ``key``, and make the user's recovery codes.

    Returns the new device and the recovery codes in clear (shown once, stored only hashed), or None when
    the code is wrong (nothing is written; the caller counts failures). Refused if the user already has a
    confirmed authenticator: replacing one needs an administrator's reset.
    """
    if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise ValidationError("You already have an authenticator app set up.")
    device = TOTPDevice(user=user, key=key, name="Authenticator app", confirmed=False)
    device.full_clean(exclude=["user"])
    code = two_factor.normalise_code(token)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not two_factor.TOTP_PATTERN.match(code) or not totp.verify(int(code), device.tolerance):
        return None
    device.last_t = totp.t()  # the code just used cannot be used again to sign in
    device.confirmed = True
    device.save()
    TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
    _static, codes = _recovery_codes(user, settings.OTP_RECOVERY_CODE_COUNT)
    record(Action.CREATE, actor=actor, object_type="totp_device", reference=str(device.pk),
           detail={"user": user.pk, "recovery_codes": len(codes)})
    return device, codes


def do_verify_second_factor(
    *, user: AbstractBaseUser, token: str, purpose: str, actor: AbstractBaseUser
) -> SecondFactorResult:
    """Check a code from the user's authenticator, or one of their recovery codes (used up on success).

    Wrong codes are throttled per device (the wait doubles after each one) and recorded as failed
    sign-ins; a recovery code that works is recorded with how many are left. ``purpose`` is
    ``"sign_in"`` or ``"step_up"``. Commits the throttling counters even when the code is wrong.
    """
    with transaction.atomic():
        result = _check_second_factor(user, two_factor.normalise_code(token))
        detail: dict[str, Any] = {"factor": result.factor or "unknown", "purpose": purpose}
        if result.ok:
            if result.recovery_codes_left is not None:
                detail["recovery_codes_left"] = result.recovery_codes_left
            record(Action.LOGIN, actor=actor, object_type="user", reference=str(user.pk), detail=detail)
        else:
            detail["throttled"] = result.throttled_until is not None
            record(Action.LOGIN_FAILED, actor=actor, object_type="user", reference=str(user.pk),
                   outcome=Outcome.DENIED, detail=detail)
    return result


def _check_second_factor(user: AbstractBaseUser, code: str) -> SecondFactorResult:
    # Six digits go to the authenticator, ten letters and digits to the recovery codes: each kind of wrong
    # guess slows down only its own device.
    if two_factor.TOTP_PATTERN.match(code):
        device: Device | None = TOTPDevice.objects.select_for_update().filter(
            user_id=user.pk, confirmed=True).first()
        factor = "totp"
        token = code
    elif two_factor.RECOVERY_PATTERN.match(code):
        device = StaticDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True).first()
        factor = "recovery_code"
        token = two_factor.recovery_code_digest(user.pk, code)
    else:
        return SecondFactorResult(device=None, factor="")
    if device is None:
        return SecondFactorResult(device=None, factor=factor)
    allowed, why = device.verify_is_allowed()
    if not allowed:
        return SecondFactorResult(device=None, factor=factor, throttled_until=(why or {}).get("locked_until"))
    if not device.verify_token(token):
        return SecondFactorResult(device=None, factor=factor)
    left = device.token_set.count() if factor == "recovery_code" else None
    return SecondFactorResult(device=device, factor=factor, recovery_codes_left=left)


@transaction.atomic
def do_confirm_password(*, user: AbstractBaseUser, password: str, actor: AbstractBaseUser) -> bool:
    """Step-up for members without an authenticator: check the password again, and record the outcome."""
    ok = bool(password) and user.check_password(password)
    record(Action.LOGIN if ok else Action.LOGIN_FAILED, actor=actor, object_type="user", reference=str(user.pk),
           outcome=Outcome.ALLOWED if ok else Outcome.DENIED, detail={"factor": "password", "purpose": "step_up"})
    return ok


@transaction.atomic
def do_regenerate_recovery_codes(*, user: AbstractBaseUser, actor: AbstractBaseUser) -> list[str]:
    """Replace the user's recovery codes with new ones (returned in clear, to be shown once)."""
    if not TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise ValidationError("Set up an authenticator app before making recovery codes.")
    device, codes = _recovery_codes(user, settings.OTP_RECOVERY_CODE_COUNT)
    record(Action.UPDATE, actor=actor, object_type="recovery_codes", reference=str(device.pk),
           detail={"user": user.pk, "recovery_codes": len(codes)})
    return codes


@transaction.atomic
def do_reset_two_factor(*, user: AbstractBaseUser, actor: AbstractBaseUser | None) -> int:
    """Remove the user's authenticator and recovery codes (a lost phone, or the member turning it off).

    Reset by someone else (an administrator), it also ends every session of the user, who sets up a new
    authenticator at their next sign-in if their role requires one. Returns the devices removed.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    removed = TOTPDevice.objects.filter(user_id=user.pk).delete()[1].get(TOTPDevice._meta.label, 0)
    removed += StaticDevice.objects.filter(user_id=user.pk).delete()[1].get(StaticDevice._meta.label, 0)
    by_self = actor is not None and actor.pk == user.pk
    ended = 0 if by_self else end_sessions([user.pk])
    record(Action.REVOKE, actor=actor, object_type="two_factor", reference=str(user.pk),
           detail={"user": user.pk, "devices": removed, "by_self": by_self, "sessions_ended": ended})
    return removed


@transaction.atomic
def do_install_known_authenticator(
    *, user: AbstractBaseUser, base32_secret: str, actor: AbstractBaseUser | None
) -> TOTPDevice | None:
    """Give a demo user an authenticator with a published key. Refused unless DEBUG is on.

    Returns the device, or None when the user already has a confirmed authenticator (left unchanged).
    """
    if not settings.DEBUG:
        raise ValidationError("Authenticators with published keys are for the demo only (DEBUG on).")
    if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        return None
    key = base64.b32decode(base32_secret.upper() + "=" * (-len(base32_secret) % 8)).hex()
    device = TOTPDevice.objects.create(user=user, key=key, name="Demo authenticator", confirmed=True)
    record(Action.CREATE, actor=actor, object_type="totp_device", reference=str(device.pk),
           detail={"user": user.pk, "demo": True})
    return device
