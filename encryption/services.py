"""Business actions on data keys and blind indexes.

The callers (subjects, associates) record the audit event of the surrounding business action; these
functions keep the keys and indexes consistent, each in one transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from encryption import keys
from encryption.models import BlindIndex, DataKey

Actor = AbstractBaseUser | None


@transaction.atomic(savepoint=False)
def do_create_data_key(*, actor: Actor) -> DataKey:
    """Create a fresh random data key for a new owner of personal data, wrapped by the active KEK."""
    data_key = DataKey(id=uuid.uuid4())
    raw = keys.new_raw_key()
    data_key.kek_id, data_key.wrapped_key = keys.wrap_key(data_key.id, raw)
    data_key.save(force_insert=True)
    # The owner is usually saved straight after; caching the key spares it a query to unwrap it.
    keys.remember_raw_key(data_key.id, raw)
    return data_key


@transaction.atomic(savepoint=False)
def do_set_blind_indexes(data_key: DataKey, entries: dict[str, list[str]], *, actor: Actor,
                         new_key: bool = False) -> None:
    """Replace the data key's blind indexes of each kind in ``entries`` with exactly the given digests.

    Kinds not named in ``entries`` are left alone; an empty list removes that kind. ``new_key``: the key
    was created in the caller's transaction, so nobody else can hold, shred or index it yet and there is
    nothing to lock or replace (one INSERT: this runs on every new subject).
    """
    for kind in entries:
        if not kind or len(kind) > 32:
            raise ValidationError("A blind index kind is 1 to 32 characters.")
    locked = data_key if new_key else DataKey.objects.select_for_update().get(pk=data_key.pk)
    if locked.is_shredded:
        raise ValidationError("This record has been erased; it cannot be matched any more.")
    # One DELETE and one INSERT whatever the number of kinds.
    if not new_key:
        BlindIndex.objects.filter(data_key=locked, kind__in=list(entries)).delete()
    BlindIndex.objects.bulk_create(
        [BlindIndex(data_key=locked, kind=kind, digest=digest)
         for kind, digests in entries.items() for digest in sorted(set(digests))]
    )


@transaction.atomic
def do_shred_data_key(data_key: DataKey, *, actor: Actor, reason: str) -> DataKey:
    """Destroy the data key's key material and blind indexes (crypto-shredding).

    Every value encrypted under it, in live rows, history rows and backups, becomes unreadable and reads
    as ``ERASED``. Shredding an already shredded key changes nothing. ``reason`` is required so the
    caller has one to record; it is not stored here.
    """
    if not reason.strip():
        raise ValidationError("Give the reason for erasing this record.")
    locked = DataKey.objects.select_for_update().get(pk=data_key.pk)
    if not locked.is_shredded:
        locked.wrapped_key = b""
        locked.shredded_at = timezone.now()
        locked.save(update_fields=["wrapped_key", "shredded_at"])
        locked.blind_indexes.all().delete()
    key_id = locked.pk
    keys.forget_data_key(key_id)
    # A read later in this transaction may cache the key again; forget it once more at commit.
    transaction.on_commit(lambda: keys.forget_data_key(key_id))
    data_key.wrapped_key, data_key.shredded_at = locked.wrapped_key, locked.shredded_at
    return locked


@transaction.atomic
def do_reencrypt_data_key(data_key: DataKey, *, actor: Actor) -> DataKey:
    """Re-encrypt everything under ``data_key`` under a fresh data key, then shred the old one.

    Every encrypted value, live and historical, that carries the old key id is decrypted and encrypted
    again under the new key (same associated data), every reference to the old key is moved to the
    new one, blind indexes are carried over, and the old key material is destroyed, so a copy of the
    old key (or an old backup of the keyring) no longer opens current data. Returns the new key.
    """
    from encryption.rotation import reencrypt_values

    old = DataKey.objects.select_for_update().get(pk=data_key.pk)
    if old.is_shredded:
        raise ValidationError("This record has been erased; there is nothing to re-encrypt.")
    new = do_create_data_key(actor=actor)
    reencrypt_values(old.pk, new.pk)
    BlindIndex.objects.bulk_create(
        [BlindIndex(data_key=new, kind=b.kind, digest=b.digest) for b in old.blind_indexes.all()]
    )
    do_shred_data_key(old, actor=actor, reason="re-encrypted under a fresh data key")
    return new


def find_data_keys(kind: str, digest: str) -> QuerySet[Any]:
    """Ids of the live (not shredded) data keys with a blind index ``digest`` of ``kind``."""
    return (
        DataKey.objects.filter(
            shredded_at__isnull=True, blind_indexes__kind=kind, blind_indexes__digest=digest
        )
        .values_list("id", flat=True)
        .distinct()
    )
