"""The key store: data keys (one per owner of personal data), the blind indexes that let owners be
matched, and the erasure ledger.

These models live in a database of their own (``KEYS_DATABASE_URL``, routed by ``config.routers``), so
that backups of the main database never hold key material; see README.md, Backups and erasure.
"""

from __future__ import annotations

import uuid

from django.db import models


class DataKey(models.Model):
    """One owner's data key, stored only wrapped (encrypted) by a key-encryption key of the keyring.

    Every encrypted value of the owner (and of its children, such as a subject's concerns) is encrypted
    under this key. Destroying ``wrapped_key`` (crypto-shredding) makes all of those values unreadable,
    in live rows, history rows and backups of the main database alike; backups of the key store taken
    before the shredding are answered by the erasure ledger (``ErasureRecord``, ``reapply_erasures``).
    ``kek_id`` says which KEK wrapped it, so that a rotation can tell which keys still need re-wrapping
    and can resume after an interruption.
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


class ErasureReason(models.TextChoices):
    """Why a data key was destroyed: a code, never typed text (the ledger holds no personal data)."""

    SUBJECT_ERASED = "subject_erased", "Subject erased on request"
    RETENTION = "retention", "Retention period ended"
    ASSOCIATE_RETENTION = "associate_retention", "Associate no longer linked past retention"
    NODE_ERASED = "node_erased", "Place or group erased with the subject it identified"
    REENCRYPTED = "reencrypted", "Re-encrypted under a fresh data key"
    REAPPLIED = "reapplied", "Erasure re-applied after restoring the key store"
    DRAFT_ENDED = "draft_ended", "Draft restored and sent, discarded, expired or erased with her"


class ErasureRecord(models.Model):
    """One entry of the erasure ledger: which data key was destroyed, when, and why (as a code).

    Append-only (``save`` refuses updates and there is no service that deletes). It is exported with
    ``export_erasures`` beside the audit anchors, so that a key store restored from an older backup can
    be brought back in line (``reapply_erasures``), and start-up refuses while a key the ledger marks
    erased is live again. ``data_key_id`` is a plain id, not a foreign key: an exported ledger may
    name keys the restored store has never seen.
    """

    id = models.BigAutoField(primary_key=True)
    data_key_id = models.UUIDField(unique=True)
    erased_at = models.DateTimeField()
    reason = models.CharField(max_length=32, choices=ErasureReason.choices)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Erasure of data key {self.data_key_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("The erasure ledger is append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
