"""Key rotation (re-wrapping data keys under a new KEK) and re-encryption under fresh data keys.

These are the documented set-based jobs of this app: they write with ``QuerySet.update()`` and
``bulk_update`` on purpose, because re-wrapping or re-encrypting changes no personal data and must not
add history rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Substr

from config.routers import keys_alias
from encryption.envelope import VERSION_PREFIX, Ciphertext, decrypt_value, encrypt_value
from encryption.fields import encrypted_fields
from encryption.keyring import get_keyring
from encryption.keys import unwrap_key, wrap_key
from encryption.models import BlindIndex, DataKey


def pending_rewrap() -> models.QuerySet[DataKey]:
    """Live data keys not yet wrapped by the active KEK."""
    return DataKey.objects.filter(shredded_at__isnull=True).exclude(kek_id=get_keyring().active_id)


def rewrap_data_keys(batch_size: int = 500, on_batch: Callable[[int], None] | None = None) -> int:
    """Re-wrap every live data key under the active KEK, ``batch_size`` per transaction.

    Resumable and idempotent: each batch commits on its own, and keys already wrapped by the active KEK
    are skipped, so a run that is killed half way finishes when run again. Returns how many it re-wrapped.
    """
    done = 0
    while True:
        with transaction.atomic(using=keys_alias()):
            batch = list(pending_rewrap().select_for_update().order_by("pk")[:batch_size])
            if not batch:
                return done
            for data_key in batch:
                raw = unwrap_key(data_key.pk, data_key.kek_id, data_key.wrapped_key)
                data_key.kek_id, data_key.wrapped_key = wrap_key(data_key.pk, raw)
            DataKey.objects.bulk_update(batch, ["kek_id", "wrapped_key"])
        done += len(batch)
        if on_batch is not None:
            on_batch(done)


def _models_with_encrypted_fields() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if encrypted_fields(m)]


def reencrypt_values(old_id: uuid.UUID, new_id: uuid.UUID) -> int:
    """Re-encrypt every value under data key ``old_id`` (live and history rows) under ``new_id``.

    Then point every reference to the old key (owners' ``data_key`` and their history copies) at the
    new one. Run inside the caller's transaction (``do_reencrypt_data_key``). Returns values changed.
    """
    key_bytes = old_id.bytes
    changed = 0
    for model in _models_with_encrypted_fields():
        for field in encrypted_fields(model):
            origin = field.origin_model or model
            pk_attname = origin._meta.pk.attname
            # Bytes 2-17 of a stored value are its data key id (see encryption.envelope).
            rows = (
                model._default_manager.annotate(
                    _key=Substr(field.attname, 2, 16, output_field=models.BinaryField())
                )
                .filter(_key=key_bytes)
                .values_list("pk", pk_attname, field.attname)
            )
            for row_pk, origin_pk, stored in rows.iterator():
                stored = Ciphertext(stored)
                if stored[:1] != VERSION_PREFIX:
                    continue
                aad = f"{origin._meta.label_lower}.{field.name}:{origin_pk}".encode()
                plain = decrypt_value(stored, aad, where=f"{field.label_for_errors()} of row {origin_pk}")
                assert isinstance(plain, bytes)  # the old key is live until the caller shreds it
                model._default_manager.filter(pk=row_pk).update(
                    **{field.attname: encrypt_value(new_id, aad, plain)}
                )
                changed += 1
    for model in apps.get_models():
        if model is BlindIndex:
            continue
        for fk in model._meta.concrete_fields:
            if isinstance(fk, models.ForeignKey) and fk.related_model is DataKey:
                model._default_manager.filter(**{fk.attname: old_id}).update(**{fk.attname: new_id})
    return changed


def reencrypt_all(on_key: Callable[[int], None] | None = None) -> int:
    """Move every live data key's values to a fresh data key, one key per transaction (resumable)."""
    from encryption.services import do_reencrypt_data_key

    done = 0
    for key_id in list(DataKey.objects.filter(shredded_at__isnull=True).order_by("created_at")
                       .values_list("pk", flat=True)):
        do_reencrypt_data_key(DataKey.objects.get(pk=key_id), actor=None)
        done += 1
        if on_key is not None:
            on_key(done)
    return done

