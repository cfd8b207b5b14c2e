"""Business actions on data keys, blind indexes and the erasure ledger (the key store).

The callers (subjects, associates) record the audit event of the surrounding business action; these
functions keep the keys and indexes consistent, each in one transaction *of the key store*
(``keys_atomic``), which commits before the caller's transaction on the main database. So a key
created for a record whose main transaction then fails is left unused (harmless: it encrypts
nothing), and a shredding is never undone by a failure in the main database. If the key store cannot
be reached, these raise ``KeyStoreUnavailable`` before the caller has written anything it keeps.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from config.routers import keys_alias
from encryption import keys
from encryption.exceptions import KeyStoreUnavailable
from encryption.models import BlindIndex, DataKey, ErasureReason, ErasureRecord

Actor = AbstractBaseUser | None


def keys_atomic(savepoint: bool = True) -> transaction.Atomic:
    """A transaction on the key store (the encryption app's own database)."""
    return transaction.atomic(using=keys_alias(), savepoint=savepoint)


def _unavailable(exc: Exception) -> KeyStoreUnavailable:
    return KeyStoreUnavailable(
        "The key store cannot be reached, so nothing was saved. Try again later; if it persists, "
        "check KEYS_DATABASE_URL and the key-store database (README.md, Backups and erasure)."
    )


def do_create_data_key(*, actor: Actor) -> DataKey:
    """Create a fresh random data key for a new owner of personal data, wrapped by the active KEK.

    Raises ``KeyStoreUnavailable`` if the key cannot be stored: the caller then writes nothing.
    """
    data_key = DataKey(id=uuid.uuid4())
    raw = keys.new_raw_key()
    data_key.kek_id, data_key.wrapped_key = keys.wrap_key(data_key.id, raw)
    try:
        with keys_atomic(savepoint=False):
            data_key.save(force_insert=True)
    except (OperationalError, InterfaceError) as exc:
        raise _unavailable(exc) from exc
    # The owner is usually saved straight after; caching the key spares it a query to unwrap it.
    keys.remember_raw_key(data_key.id, raw)
    return data_key


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
    try:
        with keys_atomic(savepoint=False):
            _set_blind_indexes(data_key, entries, new_key=new_key)
    except (OperationalError, InterfaceError) as exc:
        raise _unavailable(exc) from exc


def _set_blind_indexes(data_key: DataKey, entries: dict[str, list[str]], *, new_key: bool) -> None:
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


def do_shred_data_key(data_key: DataKey | uuid.UUID, *, actor: Actor, reason: str) -> DataKey:
    """Destroy the data key's key material and blind indexes (crypto-shredding), and append the
    erasure to the ledger, in one key-store transaction.

    Every value encrypted under it, in live rows, history rows and backups of the main database,
    becomes unreadable and reads as ``ERASED``. Shredding an already shredded key changes nothing (and
    adds no second ledger entry). ``reason`` is an ``ErasureReason`` code: the ledger never holds typed
    text. The key-store transaction commits before the caller's: a shredding stays done even if the
    caller's transaction then fails.
    """
    if reason not in ErasureReason.values:
        raise ValidationError("Choose the reason for erasing this record.")
    key_id = data_key if isinstance(data_key, uuid.UUID) else data_key.pk
    try:
        with keys_atomic():
            locked = _shred(key_id, reason)
    except (OperationalError, InterfaceError) as exc:
        raise _unavailable(exc) from exc
    keys.forget_data_key(key_id)
    # A read later in the caller's transaction may cache the key again; forget it once more at commit.
    transaction.on_commit(lambda: keys.forget_data_key(key_id))
    if isinstance(data_key, DataKey):
        data_key.wrapped_key, data_key.shredded_at = locked.wrapped_key, locked.shredded_at
    return locked


def _shred(key_id: uuid.UUID, reason: str) -> DataKey:
    locked = DataKey.objects.select_for_update().get(pk=key_id)
    if not locked.is_shredded:
        locked.wrapped_key = b""
        locked.shredded_at = timezone.now()
        locked.save(update_fields=["wrapped_key", "shredded_at"])
        locked.blind_indexes.all().delete()
    shredded_at = locked.shredded_at
    assert shredded_at is not None  # shredded just now, or before
    if not ErasureRecord.objects.filter(data_key_id=key_id).exists():
        ErasureRecord.objects.create(data_key_id=key_id, erased_at=shredded_at, reason=reason)
    return locked


def do_reencrypt_data_key(data_key: DataKey, *, actor: Actor) -> DataKey:
    """Re-encrypt everything under ``data_key`` under a fresh data key, then shred the old one.

    Every encrypted value, live and historical, that carries the old key id is decrypted and encrypted
    again under the new key (same associated data), every reference to the old key is moved to the
    new one, blind indexes are carried over, and the old key material is destroyed (and the ledger
    says so), so a copy of the old key (or an old backup of the keyring) no longer opens current data.
    Returns the new key.

    Three steps, each committed before the next, so that no failure loses data: the new key (and
    its blind indexes) in the key store; the values in the main database; then the old key shredded.
    Interrupted after the second step, the old key is merely still live (run it again to finish).
    """
    from encryption.rotation import reencrypt_values

    old = DataKey.objects.get(pk=data_key.pk)
    if old.is_shredded:
        raise ValidationError("This record has been erased; there is nothing to re-encrypt.")
    with keys_atomic():
        new = do_create_data_key(actor=actor)
        BlindIndex.objects.bulk_create(
            [BlindIndex(data_key=new, kind=b.kind, digest=b.digest) for b in old.blind_indexes.all()]
        )
    with transaction.atomic():
        reencrypt_values(old.pk, new.pk)
    do_shred_data_key(old, actor=actor, reason=ErasureReason.REENCRYPTED)
    return new


def find_data_keys(kind: str, digest: str) -> list[uuid.UUID]:
    """Ids of the live (not shredded) data keys with a blind index ``digest`` of ``kind``.

    A list, not a query: the key store is another database, so it cannot be a subquery of the main one.
    """
    return list(
        DataKey.objects.filter(
            shredded_at__isnull=True, blind_indexes__kind=kind, blind_indexes__digest=digest
        )
        .values_list("id", flat=True)
        .distinct()
    )
