"""Errors of the encryption layer.

Messages name the field and the row's key (a UUID, never personal data) and the reason; they never
carry plaintext, ciphertext or key material, because exception messages end up in logs and error mail.
"""

from __future__ import annotations


class EncryptionError(Exception):
    """A value could not be encrypted or a key could not be used."""


class DecryptionError(EncryptionError):
    """A stored value could not be decrypted: missing or wrong key, a moved value, or a damaged value."""


class KeyShreddedError(EncryptionError):
    """A write was attempted under a data key that has been destroyed."""


class KeyStoreUnavailable(EncryptionError):
    """The key store (the database of data keys) could not be reached; nothing was written there."""
