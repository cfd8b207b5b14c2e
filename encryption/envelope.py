"""The stored format of an encrypted value, and encryption and decryption of one value.

Format (version 1, text so that it sits in an ordinary text column and survives dumps unchanged)::

    e1:<data key id, 32 hex digits>:<base64 of 12-byte nonce + AES-256-GCM ciphertext and 16-byte tag>

The associated data is ``<app_label>.<model_name>.<field_name>:<primary key>`` of the model that
declared the field, so a value copied to another row or another field fails authentication. A fresh
random 96-bit nonce is drawn for every encryption: at the volumes of this system (far below 2^32
encryptions per data key) the chance of a repeat is negligible.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid

from cryptography.exceptions import InvalidTag

from encryption import ERASED, _Erased
from encryption.exceptions import DecryptionError, KeyShreddedError
from encryption.keys import NONCE_BYTES, cipher_for

VERSION_PREFIX = "e1:"
_KEY_HEX = 32
_TAG_BYTES = 16


class Ciphertext(str):
    """A stored, still encrypted value, as read from the database or produced by ``encrypt_value``."""

    __slots__ = ()


def data_key_id_of(token: str) -> uuid.UUID:
    """The data key id a stored value was encrypted under (no decryption needed)."""
    if not token.startswith(VERSION_PREFIX) or token[len(VERSION_PREFIX) + _KEY_HEX:][:1] != ":":
        raise DecryptionError("The stored value is not in a known encrypted format (damaged, or plain).")
    try:
        return uuid.UUID(hex=token[len(VERSION_PREFIX):len(VERSION_PREFIX) + _KEY_HEX])
    except ValueError:
        raise DecryptionError("The stored value names no valid data key (damaged).") from None


def encrypt_value(data_key_id: uuid.UUID, aad: bytes, plaintext: bytes) -> Ciphertext:
    """Encrypt ``plaintext`` under the data key, bound to ``aad``."""
    aead = cipher_for(data_key_id)
    if aead is None:
        raise KeyShreddedError(f"Data key {data_key_id} has been shredded; nothing can be written under it.")
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + aead.encrypt(nonce, plaintext, aad)
    return Ciphertext(f"{VERSION_PREFIX}{data_key_id.hex}:{base64.b64encode(sealed).decode('ascii')}")


def decrypt_value(token: str, aad: bytes, *, where: str) -> bytes | _Erased:
    """Decrypt a stored value bound to ``aad``; ERASED if its data key was shredded.

    ``where`` names the field and row for the error message (no personal data, no ciphertext).
    """
    try:
        data_key_id = data_key_id_of(token)
        try:
            sealed = base64.b64decode(token[len(VERSION_PREFIX) + _KEY_HEX + 1:], validate=True)
        except (binascii.Error, ValueError):
            raise DecryptionError("The stored value is damaged (not valid base64).") from None
        if len(sealed) < NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("The stored value is damaged (too short).")
        aead = cipher_for(data_key_id)
        if aead is None:
            return ERASED
        try:
            return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError(
                "The stored value failed authentication: it was damaged, moved from another row or "
                "field, or encrypted under a different key."
            ) from None
    except DecryptionError as exc:
        raise DecryptionError(f"Cannot decrypt {where}: {exc}") from None
