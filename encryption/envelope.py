"""The stored format of an encrypted value, and encryption and decryption of one value.

Format version 1, binary (a ``bytea``/``BLOB`` column)::

    0x01 | data key id (16 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext | tag (16 bytes)

Binary rather than base64 text: base64 costs more than AES-GCM itself (about 3 µs to decode a 1 KB
value against 1 µs to decrypt it) and a third more space. The associated data is
``<app_label>.<model_name>.<field_name>:<primary key>`` of the model that declared the field, so a value
copied to another row or another field fails authentication. A fresh random 96-bit nonce is drawn for
every encryption: at the volumes of this system (far below 2^32 encryptions per data key) the chance of
a repeat is negligible.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable

from cryptography.exceptions import InvalidTag

from encryption import ERASED, _Erased
from encryption.exceptions import DecryptionError, KeyShreddedError
from encryption.keys import NONCE_BYTES, cipher_for, cipher_for_bytes

VERSION = 1
VERSION_PREFIX = bytes([VERSION])
_KEY_END = 1 + 16
_NONCE_END = _KEY_END + NONCE_BYTES
_TAG_BYTES = 16


class Ciphertext(bytes):
    """A stored, still encrypted value, as read from the database or produced by ``encrypt_value``."""

    __slots__ = ()

    def __repr__(self) -> str:
        # Keep ciphertext out of tracebacks and debug pages, like plaintext.
        return f"<Ciphertext {len(self)} bytes>"


# Building a UUID costs about as much as the AES-GCM call on a short value; a page reads many values
# per key, so remember recent ones.
_uuid_from_bytes = functools.lru_cache(maxsize=4096)(lambda raw: uuid.UUID(bytes=raw))


def data_key_id_of(token: bytes) -> uuid.UUID:
    """The data key id a stored value was encrypted under (no decryption needed)."""
    if token[:1] != VERSION_PREFIX:
        raise DecryptionError("The stored value is not in a known encrypted format (damaged, or plain).")
    if len(token) < _NONCE_END + _TAG_BYTES:
        raise DecryptionError("The stored value is damaged (too short).")
    return _uuid_from_bytes(bytes(token[1:_KEY_END]))


def encrypt_value(data_key_id: uuid.UUID, aad: bytes, plaintext: bytes) -> Ciphertext:
    """Encrypt ``plaintext`` under the data key, bound to ``aad``."""
    aead = cipher_for(data_key_id)
    if aead is None:
        raise KeyShreddedError(f"Data key {data_key_id} has been shredded; nothing can be written under it.")
    nonce = os.urandom(NONCE_BYTES)
    return Ciphertext(VERSION_PREFIX + data_key_id.bytes + nonce + aead.encrypt(nonce, plaintext, aad))


def decrypt_value(token: bytes, aad: bytes, *, where: str | Callable[[], str]) -> bytes | _Erased:
    """Decrypt a stored value bound to ``aad``; ERASED if its data key was shredded.

    ``where`` names the field and row for the error message (no personal data, no ciphertext); a
    callable is only called on error, so the common path does not build the message.
    """
    try:
        if token[:1] != VERSION_PREFIX or len(token) < _NONCE_END + _TAG_BYTES:
            data_key_id_of(token)  # raises the precise error
        aead = cipher_for_bytes(bytes(token[1:_KEY_END]))
        if aead is None:
            return ERASED
        try:
            return aead.decrypt(token[_KEY_END:_NONCE_END], token[_NONCE_END:], aad)
        except InvalidTag:
            raise DecryptionError(
                "The stored value failed authentication: it was damaged, moved from another row or "
                "field, or encrypted under a different key."
            ) from None
    except DecryptionError as exc:
        place = where() if callable(where) else where
        raise DecryptionError(f"Cannot decrypt {place}: {exc}") from None
