"""Data keys: wrapping under the keyring's KEK, and a small in-process cache of unwrapped keys.

Unwrapped keys are held as ready AES-GCM objects by data key id, in a bounded LRU with a short TTL
(``ENCRYPTION_KEY_CACHE_SIZE``, ``ENCRYPTION_KEY_CACHE_SECONDS``): a page of 50 subjects then costs at
most one query for the keys (``prefetch_data_keys``), and key material does not linger in memory.
Shredding clears this process's entry at once; other processes stop using a shredded key when their
entry expires, within the TTL.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from encryption.exceptions import DecryptionError
from encryption.keyring import get_keyring

NONCE_BYTES = 12
DATA_KEY_BITS = 256

# A cached entry is an AES-GCM object, or SHREDDED for a key known to be destroyed.
SHREDDED = object()

_lock = threading.Lock()
# Keyed by the id's 16 bytes, which hash in C; UUID objects hash and compare in Python, and the
# lookup is on every decryption.
_cache: OrderedDict[bytes, tuple[float, object]] = OrderedDict()


def _wrap_aad(data_key_id: uuid.UUID) -> bytes:
    # Binding the wrapped key to its row stops one owner's wrapped key being pasted onto another row.
    return b"encryption.datakey.wrapped_key:" + str(data_key_id).encode("ascii")


def wrap_key(data_key_id: uuid.UUID, raw_key: bytes) -> tuple[str, bytes]:
    """Wrap ``raw_key`` under the active KEK; return ``(kek_id, nonce + ciphertext)``."""
    keyring = get_keyring()
    nonce = os.urandom(NONCE_BYTES)
    return keyring.active_id, nonce + keyring.active.encrypt(nonce, raw_key, _wrap_aad(data_key_id))


def unwrap_key(data_key_id: uuid.UUID, kek_id: str, wrapped: bytes) -> bytes:
    """Unwrap a data key; a missing or wrong KEK, or a damaged wrapped key, raises DecryptionError."""
    aead = get_keyring().aead(kek_id)
    wrapped = bytes(wrapped)
    try:
        return aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(data_key_id))
    except (InvalidTag, ValueError):
        raise DecryptionError(
            f"Data key {data_key_id} cannot be unwrapped with key-encryption key {kek_id!r}: the keyring "
            "holds a different key under that id, or the wrapped key is damaged."
        ) from None


def new_raw_key() -> bytes:
    """Fresh random key material for a data key."""
    return AESGCM.generate_key(bit_length=DATA_KEY_BITS)


def _ttl() -> float:
    return float(getattr(settings, "ENCRYPTION_KEY_CACHE_SECONDS", 30))


def _max_size() -> int:
    return int(getattr(settings, "ENCRYPTION_KEY_CACHE_SIZE", 1024))


def _remember(data_key_id: uuid.UUID, entry: object) -> None:
    key = data_key_id.bytes
    with _lock:
        _cache[key] = (time.monotonic() + _ttl(), entry)
        _cache.move_to_end(key)
        while len(_cache) > _max_size():
            _cache.popitem(last=False)


def remember_raw_key(data_key_id: uuid.UUID, raw_key: bytes) -> None:
    """Cache a key just created, so that the owner's first save needs no query to unwrap it."""
    _remember(data_key_id, AESGCM(raw_key))


def _cached(key: bytes) -> object | None:
    # Reads take no lock: this is on every decryption, and single dict operations are atomic under
    # the GIL. A concurrent eviction at worst costs one more query.
    hit = _cache.get(key)
    if hit is None:
        return None
    if hit[0] < time.monotonic():
        _cache.pop(key, None)
        return None
    with contextlib.suppress(KeyError):  # evicted meanwhile by another thread
        _cache.move_to_end(key)
    return hit[1]


def _load(ids: Iterable[uuid.UUID], *, strict: bool = True) -> None:
    from encryption.models import DataKey  # the app registry is ready by the time keys are used

    wanted = list(ids)
    rows = DataKey.objects.filter(pk__in=wanted).values_list("pk", "kek_id", "wrapped_key", "shredded_at")
    for pk, kek_id, wrapped, shredded_at in rows:
        if shredded_at is not None:
            _remember(pk, SHREDDED)
            continue
        try:
            _remember(pk, AESGCM(unwrap_key(pk, kek_id, wrapped)))
        except DecryptionError:
            # Prefetching a page: one broken key must not hide the others. Its values raise when
            # read, one by one, through the strict path.
            if strict:
                raise


def cipher_for(data_key_id: uuid.UUID) -> AESGCM | None:
    """The AES-GCM object of a data key, or None if it has been shredded.

    Raises DecryptionError if no such data key exists (a value whose key was deleted, or a made-up id).
    """
    return cipher_for_bytes(data_key_id.bytes)


def cipher_for_bytes(key: bytes) -> AESGCM | None:
    """``cipher_for`` by the id's 16 bytes, as carried in a stored value (the decryption hot path)."""
    entry = _cached(key)
    if entry is None:
        _load([uuid.UUID(bytes=key)])
        entry = _cached(key)
        if entry is None:
            raise DecryptionError(f"Data key {uuid.UUID(bytes=key)} does not exist.")
    return None if entry is SHREDDED else entry  # type: ignore[return-value]


def prefetch_data_keys(ids: Iterable[uuid.UUID | str | None]) -> None:
    """Unwrap every data key in ``ids`` that is not already cached, with one query.

    Call it before rendering a list of owners (or children of owners) so that decrypting their fields
    costs no further queries.
    """
    missing = set()
    for raw in ids:
        if raw is None:
            continue
        key_id = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        if _cached(key_id.bytes) is None:
            missing.add(key_id)
    if missing:
        _load(missing, strict=False)


def forget_data_key(data_key_id: uuid.UUID) -> None:
    """Drop one key from this process's cache (after shredding it)."""
    with _lock:
        _cache.pop(data_key_id.bytes, None)


def clear_cache() -> None:
    """Drop every cached key (tests, and after changing the keyring)."""
    with _lock:
        _cache.clear()
