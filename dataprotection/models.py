"""Emergency ("break-glass") access to one subject's record, outside the viewer's normal access."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from agencies.choices import RoleCode
from agencies.models import Membership
from agencies.permissions import NOTHING, RestrictedQuerySet
from encryption.fields import EncryptedTextField


class BreakGlassReview(models.TextChoices):
    """An auditor's view of whether the stated reason justified the emergency access."""

    JUSTIFIED = "justified", "Justified"
    QUESTIONED = "questioned", "Not justified: raised with the lead's manager"


class BreakGlassGrantQuerySet(RestrictedQuerySet):
    def active(self) -> BreakGlassGrantQuerySet:
        # Expiry is checked at every read: nothing needs to run for a grant to end.
        return self.filter(expires_at__gt=timezone.now())


class BreakGlassGrant(models.Model):
    """One emergency opening of one subject by one MASH lead, with a stated reason, for a limited time.

    The reason may name people, so it is encrypted under the subject's data key (erasing her erases it)
    and never copied into the access trail. A grant is never extended: opening the record again needs a
    new reason and makes a new grant.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    subject = models.ForeignKey("referrals.Subject", on_delete=models.CASCADE, related_name="break_glass_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(data_key="subject.data_key_id")
    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    review_outcome = models.CharField(max_length=12, choices=BreakGlassReview.choices, blank=True)

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["user", "subject", "-expires_at"], name="breakglass_user_subject"),
            models.Index(fields=["reviewed_at", "-opened_at"], name="breakglass_review_queue"),
        ]
        # Model-level powers of the data protection officer (granted through agencies.roles).
        permissions = [
            ("export_subject_data", "Can export everything held about a subject"),
            ("view_erasure_forecast", "Can see what retention will erase soon"),
        ]

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """``view``: the lead who opened it (their own grants: which page a grant opens), and auditors.
        ``review`` (the review queue, the stated reason, the outcome): auditors. Nobody else learns that
        a record was opened in an emergency, or why."""
        auditor = RoleCode.AUDITOR in membership.role_codes
        if action == "view":
            own = models.Q(user_id=membership.user_id)
            return (own | models.Q(pk__isnull=False)) if auditor else own
        if action == "review" and auditor:
            return models.Q(pk__isnull=False)
        return NOTHING

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()

    @property
    def review_pending(self) -> bool:
        return self.reviewed_at is None
