"""One row per person told about something: the in-app inbox.

No personal data: the kind is a code, the case is named by its reference number (never a name), the link
is a path of the service whose page applies its own access check, so a stale notification about a case
the reader can no longer see leads to a 404 like any other link.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from agencies.models import Membership
from agencies.permissions import NOTHING, RestrictedQuerySet
from notifications.choices import Kind


class Notification(models.Model):
    """Someone was told that something happened to a case: which kind, which reference, where to look,
    whether it is urgent, when, and whether they have read it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    reference = models.CharField(max_length=40, help_text="The case's reference number (or a UUID), never a name.")
    url = models.CharField(max_length=200, help_text="A path of this service, built from reference numbers.")
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "kind", "reference"], name="notification_once"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=Kind.values), name="notification_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Each person sees (``view``) and marks as read (``change``) their own notifications only."""
        if action in ("view", "change"):
            return models.Q(recipient_id=membership.user_id)
        return NOTHING
