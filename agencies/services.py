"""Business actions on agencies and memberships.

Every change goes through these functions, in one transaction, so that the agency's group, the user's
staff flag and the history rows can never drift from the membership that implies them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough, Membership, Role
from audit.api import record
from audit.choices import Action

User = get_user_model()


def _set_history_user(instance: object, actor: AbstractBaseUser | None) -> None:
    # simple-history reads this instead of a thread-local request, so management commands and
    # services record who made the change.
    instance._history_user = actor  # type: ignore[attr-defined]


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
    _set_history_user(agency, actor)
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
    _set_history_user(agency, actor)
    agency.save()
    record(Action.UPDATE, actor=actor, object_type="agency", reference=str(agency.pk),
           borough=agency.borough, detail={"fields": ",".join(sorted(changes))})
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
    record(Action.CREATE if created else Action.UPDATE, actor=actor, object_type="membership",
           reference=str(membership.pk), borough=agency.borough,
           detail={"user": user.pk, "agency": agency.pk, "roles": ",".join(sorted(set(roles))),
                   "active": is_active})
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
    _set_history_user(membership, actor)
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
