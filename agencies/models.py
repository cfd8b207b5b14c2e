"""Boroughs, agencies and the memberships that give users their roles."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from simple_history.models import HistoricalRecords

from agencies.choices import AgencyKind, RoleCode


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
    created_at = models.DateTimeField(auto_now_add=True)

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
