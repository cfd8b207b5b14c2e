"""Business actions on agencies and memberships.

Every change goes through these functions, in one transaction, so that the agency's group, the user's
staff flag and the history rows can never drift from the membership that implies them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import capabilities, two_factor
from agencies.choices import AgencyKind, RequestStatus, RoleCode
from agencies.models import (
    Agency,
    ApprovalRequest,
    Borough,
    Membership,
    PasswordInvitation,
    Role,
    RoleGrantRequest,
    TwoFactorResetRequest,
)
from agencies.sessions import end_sessions
from audit.api import audit_service, record
from audit.choices import Action, Outcome
from audit.history import set_history_user


@audit_service
@transaction.atomic
def do_create_agency(
    *,
    name: str,
    kind: str,
    borough: Borough,
    official_code: str = "",
    actor: User | None,
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


@audit_service
@transaction.atomic
def do_update_agency(agency: Agency, *, actor: User | None, **changes: object) -> Agency:
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


# --- Memberships and roles: separation of duties (DESIGN.md §6) ---------------------------------------

REFUSALS = {
    "own_account": "You cannot add a case role to your own account. Administrators hold no case roles: "
                   "case work needs a separate account, set up by another administrator.",
    "administrator_account": "A case role cannot be added to an account that holds the administrator role. "
                             "Administrators hold no case roles.",
    "incompatible_roles": "The administrator role cannot be held together with a case role.",
    "not_administrator": "Only administrators manage memberships.",
    "system_account": "This is an agency system's account: register, or revoke, the system on the API clients "
                      "page instead.",
}


def is_system_account(user: User) -> bool:
    """Whether ``user`` is an agency system's account (an API client's), active or not."""
    return bool(getattr(user, "pk", None)) and Membership.objects.filter(
        user_id=user.pk, is_system_account=True).exists()


def held_roles(user: User) -> frozenset[str]:
    """The role codes stored on the user's membership, active or not."""
    # The roles stored on the account, whether or not the membership is active now: reactivating it
    # must not bring back a combination the rules refuse.
    if not getattr(user, "pk", None):
        return frozenset()
    return frozenset(Role.objects.filter(memberships__user_id=user.pk).values_list("code", flat=True))


def _refusal(actor: User | None, user: User, held: frozenset[str],
             wanted: set[str]) -> str | None:
    if actor is not None and not capabilities.can_manage_accounts(actor):
        return "not_administrator"
    if actor is not None and wanted - held and is_system_account(user):
        # Its roles follow its scopes, set when it was registered; the accounts pages never widen them
        # (taking one away is allowed: the scope it opened ends at the client's next call).
        return "system_account"
    # The system (seed data, the first administrator, actor None) gives roles directly, but never both kinds.
    reason = capabilities.case_role_refusal(actor, user, held=held, wanted=wanted) if actor is not None else None
    if reason is None and not capabilities.may_hold_together(wanted):
        reason = "incompatible_roles"
    return reason


def check_membership_change(*, user: User, roles: Iterable[str],
                            actor: User | None) -> None:
    """Refuse (``ValidationError``) roles that ``actor`` may not set on ``user``'s account, recording the
    refusal; otherwise do nothing. Forms call it to show the refusal; the services call it again.

    Refused: the administrator role together with a case role; any case role added by an administrator to
    their own account or to an account that holds the administrator role.
    """
    wanted = set(roles)
    reason = _refusal(actor, user, held_roles(user), wanted)
    if reason is None:
        return
    # Recorded in its own transaction (callers do not wrap this in theirs), so the refusal stays on the
    # trail; the roles asked for are codes, the account an id.
    record(Action.UPDATE, actor=actor, object_type="membership", reference=str(getattr(user, "pk", "") or ""),
           outcome=Outcome.DENIED, detail={"user": getattr(user, "pk", None), "reason": reason,
                                           "roles": ",".join(sorted(wanted))})
    raise ValidationError({"roles": REFUSALS[reason]}, code=reason)


def _split_roles(actor: User | None, held: frozenset[str], wanted: set[str]) -> tuple[set[str], set[str]]:
    """(roles applied now, case roles that need a second administrator's approval)."""
    if actor is None:
        return wanted, set()
    requested = {code for code in wanted - held if capabilities.is_case_role(code)}
    return wanted - requested, requested


@audit_service
def do_set_membership(
    *,
    user: User,
    agency: Agency,
    roles: Iterable[str],
    is_active: bool = True,
    actor: User | None,
) -> Membership:
    """Make ``user`` a member of ``agency`` with ``roles``, creating or replacing the membership.

    Separation of duties: roles are removed at once, but a case role an administrator *adds* is not given
    until a second administrator approves it: each becomes a pending ``RoleGrantRequest`` (see
    ``do_approve_role_grant``). The system (``actor=None``: seed data, the first administrator) gives
    roles directly. Refused outright (``check_membership_change``): case roles on the administrator's own
    account or on an administrator's account, and the administrator role together with a case role.

    The user's groups become just the agency's group (object-level shares follow the agency), and the
    staff flag that opens Django admin follows the administrator role.
    """
    wanted = set(roles)
    check_membership_change(user=user, roles=wanted, actor=actor)
    with transaction.atomic():
        held = held_roles(user)
        if _refusal(actor, user, held, wanted) is not None:  # changed since the check: refuse, quietly
            raise ValidationError({"roles": "The account changed meanwhile. Check it and try again."})
        applied, requested = _split_roles(actor, held, wanted)
        membership, created = _set_membership(user=user, agency=agency, roles=applied, is_active=is_active,
                                              actor=actor, pending=bool(requested))
        detail: dict[str, Any] = {"user": user.pk, "agency": agency.pk, "roles": ",".join(sorted(applied)),
                                  "active": is_active}
        if requested:
            detail["requested"] = ",".join(sorted(requested))
        if not is_active:
            # Ending the membership ends the user's sessions at once (ASVS 7.4.2).
            detail["sessions_ended"] = end_sessions([user.pk])
        record(Action.CREATE if created else Action.UPDATE, actor=actor, object_type="membership",
               reference=str(membership.pk), borough=agency.borough, detail=detail)
        for code in sorted(requested):
            _request_role_grant(membership, code, actor=actor)  # type: ignore[arg-type]
    return membership


def _set_membership(
    *, user: User, agency: Agency, roles: Iterable[str], is_active: bool,
    actor: User | None, pending: bool = False, system_account: bool = False,
) -> tuple[Membership, bool]:
    # The work of do_set_membership without its audit event, so do_create_user writes exactly one.
    # ``pending``: case roles are waiting for approval, so for now the membership may hold none.
    role_codes = sorted(set(roles))
    if not role_codes and not pending:
        raise ValidationError({"roles": "Choose at least one role."})
    unknown = set(role_codes) - set(RoleCode.values)
    if unknown:
        raise ValidationError({"roles": "Choose roles from the list."})
    if not capabilities.may_hold_together(role_codes):
        raise ValidationError({"roles": REFUSALS["incompatible_roles"]})

    user = User.objects.select_for_update().get(pk=user.pk)
    membership = Membership.objects.select_for_update().filter(user=user).first()
    created = membership is None
    if membership is None:
        membership = Membership(user=user, agency=agency, is_active=is_active, is_system_account=system_account)
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


@audit_service
def do_create_user(
    *,
    username: str,
    password: str | None = None,
    agency: Agency,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    actor: User | None,
    system_account: bool = False,
) -> User:
    """Create a user account and its membership in one step.

    Administrators never choose another person's password: with an ``actor`` the account has no usable
    password until its owner sets one with a set-password link (``do_create_invitation``), and case roles
    wait for a second administrator (as in ``do_set_membership``). Only the system (``actor=None``: seed
    data, a shell) may set a password here. ``system_account``: an agency system's account (an API
    client's, made by ``api.services``): no password ever, never a person (``Membership.is_system_account``).
    """
    if system_account and password:
        raise ValidationError({"password": "An agency system's account has no password."})
    if actor is not None and password:
        raise ValidationError({"password": "Administrators do not set passwords. Send a set-password link."})
    wanted = set(roles)
    check_membership_change(user=User(), roles=wanted, actor=actor)  # a new account: no roles held yet
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": "A user with that username already exists."})
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        applied, requested = _split_roles(actor, frozenset(), wanted)
        membership, _created = _set_membership(user=user, agency=agency, roles=applied, is_active=True, actor=actor,
                                               pending=bool(requested), system_account=system_account)
        # One event for the account and its first membership; the username stays out of the trail.
        detail: dict[str, Any] = {"agency": agency.pk, "roles": ",".join(sorted(applied))}
        if requested:
            detail["requested"] = ",".join(sorted(requested))
        record(Action.CREATE, actor=actor, object_type="user", reference=str(user.pk), borough=None, detail=detail)
        for code in sorted(requested):
            _request_role_grant(membership, code, actor=actor)  # type: ignore[arg-type]
    user.refresh_from_db()
    return user


# --- Four eyes: requests a second administrator approves ------------------------------------------------


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.APPROVAL_REQUEST_DAYS)


def _expire_stale(model: type[ApprovalRequest], now: datetime, **filters: Any) -> None:
    # A pending request past its expiry is closed as expired (and recorded) before a new one is made.
    for stale in model._default_manager.select_for_update().filter(status=RequestStatus.PENDING, expires_at__lte=now,
                                                          **filters):
        _close(stale, RequestStatus.EXPIRED, actor=None, now=now)


def _object_type(request: ApprovalRequest) -> str:
    return "role_grant" if isinstance(request, RoleGrantRequest) else "two_factor_reset"


def _close(request: ApprovalRequest, status: str, *, actor: User | None, now: datetime) -> None:
    request.status = status
    request.decided_at = now
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    detail: dict[str, Any] = {"status": status, "user": request.user_id,
                              "requested_by": request.requested_by_id}
    if isinstance(request, RoleGrantRequest):
        detail["role"] = request.role_id
    record(Action.DECIDE, actor=actor, object_type=_object_type(request), reference=str(request.reference),
           detail=detail)


def _request_role_grant(membership: Membership, code: str, *, actor: User) -> RoleGrantRequest:
    # Inside the caller's transaction; a pending request for the same role is kept, not duplicated.
    now = timezone.now()
    _expire_stale(RoleGrantRequest, now, membership=membership, role_id=code)
    existing = RoleGrantRequest.objects.filter(membership=membership, role_id=code,
                                               status=RequestStatus.PENDING).first()
    if existing is not None:
        return existing
    grant = RoleGrantRequest.objects.create(
        membership=membership, agency=membership.agency, role_id=code, user_id=membership.user_id,
        requested_by=actor, requested_at=now, expires_at=_expiry(now))
    record(Action.CREATE, actor=actor, object_type="role_grant", reference=str(grant.reference),
           detail={"user": membership.user_id, "membership": membership.pk, "role": code,
                   "agency": membership.agency_id})
    return grant


def _check_decider(request: ApprovalRequest, actor: User) -> None:
    # Outside the deciding transaction, so a refused attempt stays on the trail.
    if capabilities.can_decide_request(actor, request):
        return
    reason = "own_request" if actor.pk == request.requested_by_id else (
        "own_account" if actor.pk == request.user_id else "not_administrator")
    record(Action.DECIDE, actor=actor, object_type=_object_type(request), reference=str(request.reference),
           outcome=Outcome.DENIED, detail={"reason": reason, "user": request.user_id})
    raise PermissionDenied("A second administrator must decide this request.")


def _lock_open(model: type[ApprovalRequest], request: ApprovalRequest, now: datetime) -> Any:
    locked = model._default_manager.select_for_update().get(pk=request.pk)
    if locked.status == RequestStatus.PENDING and locked.expires_at <= now:
        _close(locked, RequestStatus.EXPIRED, actor=None, now=now)
        return locked
    if locked.status != RequestStatus.PENDING:
        raise ValidationError("This request has already been decided.")
    return locked


@audit_service
def do_approve_role_grant(grant: RoleGrantRequest, *, actor: User) -> RoleGrantRequest:
    """A second administrator approves a role grant: the role is added to the membership.

    Refused (``PermissionDenied``, recorded) for the administrator who asked and for anyone not an
    administrator. Refused (``ValidationError``) when the request was already decided, or when the account
    now holds the administrator role or has moved to another agency. A request past its expiry is closed
    as expired instead (check ``status`` on the result). Writes the decision and the membership change.
    """
    _check_decider(grant, actor)
    with transaction.atomic():
        now = timezone.now()
        grant = _lock_open(RoleGrantRequest, grant, now)
        if grant.status == RequestStatus.EXPIRED:
            return grant
        membership = Membership.objects.select_for_update().select_related("agency__borough").get(
            pk=grant.membership_id)
        held = membership.role_codes
        if not capabilities.may_hold_together(held | {grant.role_id}):
            raise ValidationError(REFUSALS["administrator_account"])
        if membership.agency_id != grant.agency_id:
            raise ValidationError("This account has moved to another agency since the request. Refuse this "
                                  "request and ask again for the new agency.")
        _close(grant, RequestStatus.APPROVED, actor=actor, now=now)
        set_history_user(membership, actor)
        membership.save()
        membership.roles.add(grant.role_id)  # type: ignore[arg-type]  # Role's key is its code; stubs take int ids
        record(Action.UPDATE, actor=actor, object_type="membership", reference=str(membership.pk),
               borough=membership.agency.borough,
               detail={"user": membership.user_id, "granted": grant.role_id, "request": str(grant.reference)})
    return grant


@audit_service
def do_refuse_role_grant(grant: RoleGrantRequest, *, actor: User) -> RoleGrantRequest:
    """A second administrator refuses a role grant: nothing changes on the account."""
    refused: RoleGrantRequest = _refuse(RoleGrantRequest, grant, actor=actor)
    return refused


def _refuse(model: type[ApprovalRequest], request: Any, *, actor: User) -> Any:
    _check_decider(request, actor)
    with transaction.atomic():
        now = timezone.now()
        request = _lock_open(model, request, now)
        if request.status == RequestStatus.PENDING:
            _close(request, RequestStatus.REFUSED, actor=actor, now=now)
    return request


@audit_service
def do_request_two_factor_reset(*, user: User, actor: User) -> TwoFactorResetRequest:
    """Ask for someone's authenticator and recovery codes to be removed (a lost phone).

    Nothing changes until a second administrator approves (``do_approve_two_factor_reset``).
    """
    if not capabilities.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators ask for two-factor resets.")
    with transaction.atomic():
        now = timezone.now()
        _expire_stale(TwoFactorResetRequest, now, user_id=user.pk)
        if TwoFactorResetRequest.objects.filter(user_id=user.pk, status=RequestStatus.PENDING).exists():
            raise ValidationError("A two-factor reset for this account is already waiting for approval.")
        if not (TOTPDevice.objects.filter(user_id=user.pk).exists()
                or StaticDevice.objects.filter(user_id=user.pk).exists()):
            raise ValidationError("This account has no authenticator to reset.")
        reset = TwoFactorResetRequest.objects.create(user_id=user.pk, requested_by=actor, requested_at=now,
                                                     expires_at=_expiry(now))
        record(Action.CREATE, actor=actor, object_type="two_factor_reset", reference=str(reset.reference),
               detail={"user": user.pk})
    return reset


@audit_service
def do_approve_two_factor_reset(reset: TwoFactorResetRequest, *, actor: User) -> TwoFactorResetRequest:
    """A second administrator approves a two-factor reset: the devices go and the user's sessions end.

    Refused as ``do_approve_role_grant`` is. Writes the decision and the reset (``revoke two_factor``).
    """
    _check_decider(reset, actor)
    with transaction.atomic():
        now = timezone.now()
        reset = _lock_open(TwoFactorResetRequest, reset, now)
        if reset.status == RequestStatus.EXPIRED:
            return reset
        _close(reset, RequestStatus.APPROVED, actor=actor, now=now)
        _reset_two_factor(user=reset.user, actor=actor)
    return reset


@audit_service
def do_refuse_two_factor_reset(reset: TwoFactorResetRequest, *, actor: User) -> TwoFactorResetRequest:
    """A second administrator refuses a two-factor reset: the authenticator stays."""
    refused: TwoFactorResetRequest = _refuse(TwoFactorResetRequest, reset, actor=actor)
    return refused


# --- Set-password links (invitations) -------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationLink:
    """A new set-password link: shown once to an administrator, or only emailed (``emailed_only``)."""

    invitation: PasswordInvitation
    url: str
    emailed_only: bool


def token_digest(token: str) -> str:
    """What is stored of a link's token: its SHA-256 (the token has 256 random bits, so no key is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@audit_service
def do_create_invitation(*, user: User, actor: User | None) -> InvitationLink:
    """Make a single-use set-password link for ``user``, valid for ``INVITATION_HOURS``; older ones stop working.

    For an account that holds a case role the link is only emailed to the address on record and never
    shown to the administrator (who could otherwise use it to take the account over); other links are
    shown once, to pass on, and emailed too when there is an address. Emails carry only the link.
    """
    if actor is not None and not capabilities.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators make set-password links.")
    if is_system_account(user):
        # A password would make the system's roles a person's web sign-in, with no second approval.
        record(Action.CREATE, actor=actor, object_type="invitation", outcome=Outcome.DENIED,
               detail={"user": user.pk, "reason": "system_account"})
        raise ValidationError(REFUSALS["system_account"], code="system_account")
    emailed_only = actor is not None and any(capabilities.is_case_role(code) for code in held_roles(user))
    if emailed_only and not user.email:
        raise ValidationError("This account holds a case role, so its set-password link can only be emailed to "
                              "its owner. It has no email address.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        now = timezone.now()
        revoked = PasswordInvitation.objects.filter(
            user_id=user.pk, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        invitation = PasswordInvitation.objects.create(
            user_id=user.pk, token_digest=token_digest(token), created_by=actor, created_at=now,
            expires_at=now + timedelta(hours=settings.INVITATION_HOURS))
        url = settings.SITE_URL.rstrip("/") + reverse("set-password", kwargs={"token": token})
        emailed = bool(user.email)
        record(Action.CREATE, actor=actor, object_type="invitation", reference=str(invitation.pk),
               detail={"user": user.pk, "revoked": revoked, "emailed": emailed, "shown": not emailed_only})
        if emailed:
            hours = settings.INVITATION_HOURS
            body = (f"Set your password for the {settings.SERVICE_NAME}:\n\n{url}\n\n"
                    f"The link works once, for {hours} hours. If you did not expect it, tell your administrator.")
            recipient = user.email
            transaction.on_commit(lambda: send_mail(f"Set your password: {settings.SERVICE_NAME}", body, None,
                                                    [recipient], fail_silently=True))
    return InvitationLink(invitation=invitation, url=url, emailed_only=emailed_only)


def usable_invitation(token: str) -> PasswordInvitation | None:
    """The invitation a link's token opens, or None when it is unknown, used, revoked or expired (all alike)."""
    if not token or len(token) > 100:
        return None
    invitation = PasswordInvitation.objects.select_related("user").filter(token_digest=token_digest(token)).first()
    if invitation is None or not invitation.is_usable(timezone.now()) or not invitation.user.is_active:
        return None
    return invitation


@audit_service
def do_accept_invitation(*, token: str, password: str) -> User | None:
    """Set the password of the link's user (already checked by Django's password validators) and use the
    link up. Ends every session of the user. Returns the user, or None when the link no longer works."""
    with transaction.atomic():
        found = usable_invitation(token)
        if found is None:
            return None
        invitation = PasswordInvitation.objects.select_for_update().get(pk=found.pk)
        now = timezone.now()
        if not invitation.is_usable(now):
            return None
        user = User.objects.select_for_update().get(pk=invitation.user_id)
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
        PasswordInvitation.objects.filter(user_id=user.pk, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now)
        ended = end_sessions([user.pk])
        record(Action.UPDATE, actor=None, object_type="invitation", reference=str(invitation.pk),
               detail={"user": user.pk, "used": True, "sessions_ended": ended})
    return user


# --- Accounts, sessions and two-factor authentication ------------------------------------------------


@audit_service
def do_set_user_active(user: User, *, is_active: bool, actor: User | None) -> int:
    """Activate or deactivate an account; deactivating ends every session of the user at once.

    Returns how many sessions were ended. An agency system's account is never brought back here: a revoked
    system stays revoked (a new one is registered, with four eyes).
    """
    if is_active and actor is not None and is_system_account(user):
        # Recorded outside the change's transaction, so the refusal stays on the trail.
        record(Action.UPDATE, actor=actor, object_type="user", reference=str(user.pk), outcome=Outcome.DENIED,
               detail={"active": True, "reason": "system_account"})
        raise ValidationError(REFUSALS["system_account"], code="system_account")
    with transaction.atomic():
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


def _recovery_codes(user: User, count: int) -> tuple[StaticDevice, list[str]]:
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


@audit_service
@transaction.atomic
def do_enrol_totp_device(
    *, user: User, key: str, token: str, actor: User
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


@audit_service
def do_verify_second_factor(
    *, user: User, token: str, purpose: str, actor: User
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


def _check_second_factor(user: User, code: str) -> SecondFactorResult:
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


@audit_service
@transaction.atomic
def do_confirm_password(*, user: User, password: str, actor: User) -> bool:
    """Step-up for members without an authenticator: check the password again, and record the outcome."""
    ok = bool(password) and user.check_password(password)
    record(Action.LOGIN if ok else Action.LOGIN_FAILED, actor=actor, object_type="user", reference=str(user.pk),
           outcome=Outcome.ALLOWED if ok else Outcome.DENIED, detail={"factor": "password", "purpose": "step_up"})
    return ok


@audit_service
@transaction.atomic
def do_regenerate_recovery_codes(*, user: User, actor: User) -> list[str]:
    """Replace the user's recovery codes with new ones (returned in clear, to be shown once)."""
    if not TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise ValidationError("Set up an authenticator app before making recovery codes.")
    device, codes = _recovery_codes(user, settings.OTP_RECOVERY_CODE_COUNT)
    record(Action.UPDATE, actor=actor, object_type="recovery_codes", reference=str(device.pk),
           detail={"user": user.pk, "recovery_codes": len(codes)})
    return codes


@audit_service
def do_reset_two_factor(*, user: User, actor: User | None) -> int:
    """Remove the user's own authenticator and recovery codes (a member turning it off), or, for the
    system, anyone's. An administrator resetting someone else's goes through ``do_request_two_factor_reset``
    and a second administrator's approval. Returns the devices removed.
    """
    if actor is not None and actor.pk != user.pk:
        raise PermissionDenied("A second administrator must approve a two-factor reset.")
    with transaction.atomic():
        return _reset_two_factor(user=user, actor=actor)


def _reset_two_factor(*, user: User, actor: User | None) -> int:
    # Reset by someone else, it also ends every session of the user, who sets up a new authenticator at
    # their next sign-in if their role requires one.
    user = User.objects.select_for_update().get(pk=user.pk)
    removed: int = TOTPDevice.objects.filter(user_id=user.pk).delete()[1].get(TOTPDevice._meta.label, 0)
    removed += StaticDevice.objects.filter(user_id=user.pk).delete()[1].get(StaticDevice._meta.label, 0)
    by_self = actor is not None and actor.pk == user.pk
    ended = 0 if by_self else end_sessions([user.pk])
    record(Action.REVOKE, actor=actor, object_type="two_factor", reference=str(user.pk),
           detail={"user": user.pk, "devices": removed, "by_self": by_self, "sessions_ended": ended})
    return removed


@audit_service
@transaction.atomic
def do_install_known_authenticator(
    *, user: User, base32_secret: str, actor: User | None
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
