"""Data keys (one per owner of personal data) and the blind indexes that let owners be matched."""

from __future__ import annotations

import uuid

from django.db import models


class DataKey(models.Model):
    """One owner's data key, stored only wrapped (encrypted) by a key-encryption key of the keyring.

    Every encrypted value of the owner (and of its children, such as a subject's concerns) is encrypted
    under this key. Destroying ``wrapped_key`` (crypto-shredding) makes all of those values unreadable,
    in live rows, history rows and backups alike. ``kek_id`` says which KEK wrapped it, so that a
    rotation can tell which keys still need re-wrapping and can resume after an interruption.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kek_id = models.CharField(max_length=32, db_index=True)
    wrapped_key = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A shredded key holds no key material; a live key always does.
            models.CheckConstraint(
                condition=models.Q(shredded_at__isnull=True) | models.Q(wrapped_key=b""),
                name="encryption_datakey_shredded_is_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"Data key {self.pk}"

    @property
    def is_shredded(self) -> bool:
        """True once the key material has been destroyed."""
        return self.shredded_at is not None


class BlindIndex(models.Model):
    """A keyed hash (HMAC) of a normalised identifying value of the data key's owner, for exact matching.

    ``kind`` says what was hashed (for example ``name_dob``, ``name_phonetic``, ``dob``), so the same
    digest under two kinds never matches. Shredding the data key deletes its blind indexes.
    """

    data_key = models.ForeignKey(DataKey, on_delete=models.CASCADE, related_name="blind_indexes")
    kind = models.CharField(max_length=32)
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["data_key", "kind", "digest"],
                                    name="encryption_blindindex_unique"),
        ]
        indexes = [models.Index(fields=["kind", "digest"], name="encryption_bi_kind_digest")]

    def __str__(self) -> str:
        return f"{self.kind} index"
