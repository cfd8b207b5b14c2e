"""Boroughs, agencies and the memberships that give users their roles."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from simple_history.models import HistoricalRecords

from agencies.choices import AgencyKind, RequestStatus, RoleCode


class Borough(models.Model):
    """One of the 32 London boroughs or the City of London, each with its own MASH and register."""

    ons_code = models.CharField("ONS code", max_length=9, unique=True)
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """An organisation whose staff use the system: a school, GP practice, police unit, MASH and so on.

    Each agency has its own auth group, which holds the object-level shares granted to the agency.
    """

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="agencies")
    official_code = models.CharField(
        max_length=32,
        blank=True,
        help_text="Optional official identifier, such as a DfE URN, an ODS code or a police unit code.",
    )
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency", editable=False)
    is_active = models.BooleanField(
        default=True, help_text="Members of an inactive agency cannot sign in."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["borough__name", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["borough", "name"], name="agency_unique_name_in_borough"),
            models.CheckConstraint(
                condition=models.Q(kind__in=AgencyKind.values), name="agency_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.borough})"


class Role(models.Model):
    """A role a member can hold; what it permits is defined in ``agencies.roles``."""

    code = models.CharField(max_length=32, primary_key=True, choices=RoleCode.choices)
    label = models.CharField(max_length=60)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class MembershipQuerySet(models.QuerySet["Membership"]):
    """Memberships, and among them those of people (never an agency system's account)."""

    def people(self) -> MembershipQuerySet:
        return self.filter(is_system_account=False)


# The same rule for a query of members (users): people, never an agency system's account.
PEOPLE = models.Q(membership__is_system_account=False)


class Membership(models.Model):
    """Links a user to the one agency they work for, with one or more roles there."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    roles = models.ManyToManyField(Role, related_name="memberships")
    is_active = models.BooleanField(
        default=True, help_text="A deactivated membership ends the user's access at their next request."
    )
    # An agency system's account (an API client, ``api.models.ApiClient``): it holds the roles its scopes
    # need so that restrict() decides what the API reaches, but it is no person. It never signs in to the
    # web, is never notified and is never among the people a recipient, an owner or a lead is chosen from
    # (``MembershipQuerySet.people``, ``PEOPLE``); the accounts pages never add a role to it.
    is_system_account = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[roles])

    class Meta:
        ordering = ["agency__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} at {self.agency}"

    @property
    def role_codes(self) -> frozenset[str]:
        """The codes of the roles held (uses prefetched roles when present)."""
        return frozenset(role.code for role in self.roles.all())

    def has_role(self, code: str) -> bool:
        return code in self.role_codes


class UserSession(models.Model):
    """A session a user signed in with, written at sign-in.

    Sessions live in a table keyed only by their random key, so without this list there is no way to
    find, and end at once, every session of a user who is deactivated or loses their membership.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class ApprovalRequest(models.Model):
    """A change to someone's account that one administrator asks for and a *second* one approves.

    Rows are never deleted: the requests, who decided them and when, are the history of every grant.
    A request is open while it is pending and not past ``expires_at``; who may decide it is
    ``agencies.capabilities.can_decide_request``.
    """

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             help_text="Whose account the request changes.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-requested_at"]

    def is_open(self, now: datetime) -> bool:
        """Pending and not yet expired: the only state in which it can be approved or refused."""
        return self.status == RequestStatus.PENDING and now < self.expires_at


class RoleGrantRequest(ApprovalRequest):
    """A request to add one case role to a membership (DESIGN.md §6, separation of duties).

    ``agency`` is the membership's agency when the request was made: a role approved for one agency is
    never applied at another, so a membership that has moved since cannot be approved.
    """

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="grant_requests")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")

    class Meta(ApprovalRequest.Meta):
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], condition=models.Q(status="pending"),
                                    name="role_grant_one_pending_per_role"),
            models.CheckConstraint(condition=models.Q(status__in=RequestStatus.values),
                                   name="role_grant_status_valid"),
        ]

    def __str__(self) -> str:
        return f"role grant {self.reference}"


class TwoFactorResetRequest(ApprovalRequest):
    """A request to remove someone's authenticator and recovery codes (a lost phone)."""

    class Meta(ApprovalRequest.Meta):
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(status="pending"),
                                    name="two_factor_reset_one_pending_per_user"),
            models.CheckConstraint(condition=models.Q(status__in=RequestStatus.values),
                                   name="two_factor_reset_status_valid"),
        ]

    def __str__(self) -> str:
        return f"two-factor reset {self.reference}"


class PasswordInvitation(models.Model):
    """A single-use, time-limited link with which a person sets their own password.

    Administrators never type another person's password: creating a user, or resetting a password, makes
    one of these. Only a SHA-256 digest of the link's random token is stored, so a copy of the database
    opens nothing. A newer invitation for the same user revokes the older ones.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, help_text="Empty when made by the system.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at
