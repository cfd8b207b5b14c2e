"""The association map (DESIGN.md §3): associates, places and groups around each girl, and dated,
sourced links between them.

Victims and people who may harm them are never confused: every associate carries a role that says
which they are. Associates' identity is encrypted under their own data key so that it can be
crypto-shredded when they are no longer linked to anyone past retention.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from agencies.capabilities import mash_borough_of_member
from agencies.choices import RoleCode
from agencies.models import Membership
from agencies.permissions import NOTHING, RestrictedQuerySet, break_glass_rule
from encryption.fields import EncryptedTextField
from referrals.models import Subject, harm_borough_rule, readable_shares


class AssociateRole(models.TextChoices):
    """What an associate is to her, and whether they are at risk or may pose a risk."""

    PEER_AT_RISK = "peer_at_risk", "Peer at risk"
    FRIEND = "friend", "Friend"
    PARTNER = "partner", "Partner or boyfriend"
    OLDER_ASSOCIATE = "older_associate", "Older associate of concern"
    GANG_ADULT = "gang_adult", "Gang-associated adult"
    FAMILY = "family", "Family member"


# Roles that describe someone who may pose a risk (the rest are, or may be, at risk themselves).
MAY_POSE_RISK = {AssociateRole.OLDER_ASSOCIATE, AssociateRole.GANG_ADULT}


class AgeBand(models.TextChoices):
    UNDER_13 = "under_13", "Under 13"
    AGE_13_15 = "13_15", "13 to 15"
    AGE_16_17 = "16_17", "16 or 17"
    AGE_18_24 = "18_24", "18 to 24"
    AGE_25_PLUS = "25_plus", "25 or over"
    UNKNOWN = "unknown", "Not known"


CHILD_AGE_BANDS = {AgeBand.UNDER_13, AgeBand.AGE_13_15, AgeBand.AGE_16_17}


class PlaceKind(models.TextChoices):
    ESTATE = "estate", "Estate"
    PARK = "park", "Park"
    SCHOOL = "school", "School"
    SHOP = "shop", "Takeaway or shop"
    HOTEL = "hotel", "Hotel"
    TRANSPORT = "transport", "Transport hub"
    ADDRESS = "address", "Address"
    ONLINE = "online", "Online space"


class GroupKind(models.TextChoices):
    PEER_GROUP = "peer_group", "Peer group"
    NAMED_GANG = "named_gang", "Named gang"


class LinkType(models.TextChoices):
    ASSOCIATES_WITH = "associates_with", "Associates with"
    RELATIONSHIP = "relationship", "In a relationship with"
    FAMILY = "family", "Family"
    SEEN_AT = "seen_at", "Seen at"
    FREQUENTS = "frequents", "Frequents"
    LIVES_AT = "lives_at", "Lives or stays at"
    MEMBER_OF = "member_of", "Member of or linked to"
    ONLINE_CONTACT = "online_contact", "In contact online"


class Confidence(models.TextChoices):
    LOW = "low", "Low: single uncorroborated report"
    MEDIUM = "medium", "Medium: reported by more than one source"
    HIGH = "high", "High: seen by a professional"


class LinkStatus(models.TextChoices):
    PENDING = "pending", "Suggested, waiting for the MASH lead"
    CONFIRMED = "confirmed", "Confirmed"
    REMOVED = "removed", "Removed"


class Associate(models.Model):
    """A person linked to a subject: minimal identity under their own data key, an age band and a role."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    data_key = models.OneToOneField("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="associate")  # in the key store: no constraint across
    name = EncryptedTextField(data_key="data_key_id", help_text="Name or street name as known.")
    description = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    role = models.CharField(max_length=20, choices=AssociateRole.choices)
    borough = models.ForeignKey("agencies.Borough", on_delete=models.PROTECT, related_name="+",
                                help_text="The borough whose MASH recorded the associate.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=AssociateRole.values), name="associate_role_valid"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def may_pose_risk(self) -> bool:
        return self.role in MAY_POSE_RISK

    @property
    def is_child_at_risk(self) -> bool:
        return self.age_band in CHILD_AGE_BANDS and self.role not in MAY_POSE_RISK

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Visible where one of their links is visible; MASH leads also see those their borough recorded."""
        return _node_rule(membership, action, "associate_id")


class Place(models.Model):
    """A location of concern: where she is seen, stays or is taken, online or offline.

    Its name is encrypted under its own data key: a place of kind "address" linked ``lives_at`` is her
    home street, and erasing her shreds the key of such a place (``risk.map.services``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    data_key = models.OneToOneField("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="place")  # in the key store: no constraint across
    name = EncryptedTextField(data_key="data_key_id", help_text="A recognisable label. For a home, the street only.")
    kind = models.CharField(max_length=12, choices=PlaceKind.choices)
    borough = models.ForeignKey("agencies.Borough", on_delete=models.PROTECT, related_name="+")
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]  # names are encrypted: they cannot be sorted by the database

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Visible where one of its links is visible; MASH leads also see their borough's places."""
        return _node_rule(membership, action, "place_id")


class Group(models.Model):
    """A peer group or a named gang; its name is encrypted under its own data key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    data_key = models.OneToOneField("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="group")  # in the key store: no constraint across
    name = EncryptedTextField(data_key="data_key_id")
    kind = models.CharField(max_length=12, choices=GroupKind.choices)
    borough = models.ForeignKey("agencies.Borough", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]  # names are encrypted: they cannot be sorted by the database

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Visible where one of its links is visible; MASH leads also see their borough's groups."""
        return _node_rule(membership, action, "group_id")


NODE_FIELDS = ("subject", "associate", "place", "group")


class Link(models.Model):
    """A dated, sourced link between two of: a subject, an associate, a place, a group.

    Exactly two endpoint columns are set. Removal sets the status and records who, when and why; the row
    (and its history) stays. A link counts only while confirmed and not expired.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    subject = models.ForeignKey("referrals.Subject", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="map_links")
    associate = models.ForeignKey(Associate, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    borough = models.ForeignKey("agencies.Borough", on_delete=models.PROTECT, related_name="+",
                                help_text="The borough whose MASH maintains the link.")
    source_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    first_seen = models.DateField()
    last_seen = models.DateField()
    confidence = models.CharField(max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM)
    expires_on = models.DateField()
    status = models.CharField(max_length=10, choices=LinkStatus.choices, default=LinkStatus.PENDING)
    suggested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    suggested_from = models.ForeignKey("referrals.Concern", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    # The data key of the person (or place or group) the link is about: hers when she is an end. The
    # typed removal reason is encrypted under it, so erasing her shreds it.
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 null=True, blank=True, related_name="+")
    removal_reason = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-last_seen", "reference"]
        indexes = [
            models.Index(fields=["subject", "status"], name="maplink_subject"),
            models.Index(fields=["associate", "status"], name="maplink_associate"),
            models.Index(fields=["place", "status"], name="maplink_place"),
            models.Index(fields=["group", "status"], name="maplink_group"),
            models.Index(fields=["borough", "status"], name="maplink_borough"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(subject__isnull=False, associate__isnull=False, place__isnull=True, group__isnull=True)
                    | models.Q(subject__isnull=False, associate__isnull=True, place__isnull=False, group__isnull=True)
                    | models.Q(subject__isnull=False, associate__isnull=True, place__isnull=True, group__isnull=False)
                    | models.Q(subject__isnull=True, associate__isnull=False, place__isnull=False, group__isnull=True)
                    | models.Q(subject__isnull=True, associate__isnull=False, place__isnull=True, group__isnull=False)
                    | models.Q(subject__isnull=True, associate__isnull=True, place__isnull=False, group__isnull=False)
                ),
                name="maplink_two_endpoints",
            ),
            models.CheckConstraint(condition=models.Q(status__in=LinkStatus.values), name="maplink_status_valid"),
            models.CheckConstraint(condition=models.Q(last_seen__gte=models.F("first_seen")),
                                   name="maplink_seen_order"),
        ]

    def __str__(self) -> str:
        return self.reference

    def owner_data_key_id(self) -> uuid.UUID | None:
        """The data key the link's notes go under: the subject's, else the associate's, place's or group's."""
        for kind in NODE_FIELDS:
            node = getattr(self, kind) if getattr(self, f"{kind}_id") is not None else None
            if node is not None and getattr(node, "data_key_id", None) is not None:
                return node.data_key_id
        return None

    def endpoints(self) -> list[tuple[str, Subject | Associate | Place | Group]]:
        """The two (kind, object) ends of the link."""
        return [(kind, getattr(self, kind)) for kind in NODE_FIELDS if getattr(self, f"{kind}_id") is not None]

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """MASH leads: their borough's links. Receiving workers (read-only): the links of subjects shared
        with their agency, and the links of the people, places and groups those subjects are linked to
        (two hops). Practitioners and DSLs: the links they suggested."""
        roles = membership.role_codes
        rule = NOTHING
        borough = mash_borough_of_member(membership)
        if borough is not None:
            rule |= models.Q(borough_id=borough)
        if action != "view":
            return rule
        if RoleCode.RECEIVING_WORKER in roles:
            shared = readable_shares(membership)
            direct = Link.objects.filter(subject_id__in=shared).exclude(status=LinkStatus.REMOVED)
            rule |= (
                models.Q(subject_id__in=shared)
                | models.Q(associate_id__in=direct.filter(associate__isnull=False).values("associate_id"))
                | models.Q(place_id__in=direct.filter(place__isnull=False).values("place_id"))
                | models.Q(group_id__in=direct.filter(group__isnull=False).values("group_id"))
            )
        if RoleCode.PRACTITIONER in roles or RoleCode.DSL in roles:
            rule |= models.Q(suggested_by_id=membership.user_id)
        # Emergency access (read-only): the links of the one subject opened under break-glass; and her links
        # for the MASH of a borough where harm happens, on her read-only pages while the share lasts.
        return rule | break_glass_rule(membership, "subject_id") | harm_borough_rule(membership, "subject_id")


def _node_rule(membership: Membership, action: str, column: str) -> models.Q:
    borough = mash_borough_of_member(membership)
    rule = NOTHING
    if borough is not None:
        rule |= models.Q(borough_id=borough)
    link_rule = Link.access_rule(membership, "view" if action == "view" else action)
    if link_rule != NOTHING:
        rule |= models.Q(pk__in=Link._base_manager.filter(link_rule).exclude(**{f"{column}": None}).values(column))
    return rule


def active_links_q(prefix: str = "", today: dt.date | None = None) -> models.Q:
    """Links that count: confirmed and not expired."""
    today = today or timezone.localdate()
    return models.Q(**{f"{prefix}status": LinkStatus.CONFIRMED, f"{prefix}expires_on__gte": today})
