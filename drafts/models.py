"""A form that was being sent when its author's session had ended, kept as an encrypted draft.

Each draft has a data key of its own in the key store (``encryption``), created with it and shredded
when it ends (restored and sent, discarded, expired, or erased with the young person it is about). So a
copy of the main database, of any age, holds only drafts that nobody can read once they have ended,
and an administrator, who has no key, reads none. It is bound to its author (``user``) and to the form
(``form``: the URL name; ``path``: the page it was posted to). Nobody else is ever shown it: the access
rule admits its author only, and only until it expires.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from agencies.models import Membership
from agencies.permissions import NOTHING, RestrictedQuerySet
from encryption.fields import EncryptedJSONField


class Draft(models.Model):
    """What one user had typed into one form when her session ended (at most one per user and form page).

    ``data`` maps each field name to its list of values, exactly as posted, less the CSRF token, the
    binding token and anything that looks like a password or a code. ``subject`` is set when the form was
    about a young person already on record, so that erasing her erases the draft too.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    form = models.CharField(max_length=64)
    path = models.CharField(max_length=200)
    subject = models.ForeignKey("referrals.Subject", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+")
    data_key = models.OneToOneField("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="+")
    data = EncryptedJSONField(data_key="data_key_id")
    saved_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    resumed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            # One draft per user and form page: a newer one replaces the older.
            models.UniqueConstraint(fields=["user", "form", "path"], name="drafts_draft_one_per_form"),
        ]

    def __str__(self) -> str:
        return f"Draft {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Its author only, until it expires: never anyone else, whatever their role (an administrator,
        an auditor or the data protection officer included). ``view`` shows the offer, ``resume`` fills
        the form in again, ``discard`` deletes it."""
        if action not in {"view", "resume", "discard"}:
            return NOTHING
        return models.Q(user_id=membership.user_id, expires_at__gt=timezone.now())

    @property
    def reference(self) -> str:
        """What addresses and the trail name it by: its random id (no personal data)."""
        return str(self.pk)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
