"""Key-encryption keys (KEKs) and the blind-index key, from configuration.

The keyring is JSON: ``{"active": "k2", "keys": {"k1": "<base64 of 32 bytes>", "k2": "..."}}``, from
``ENCRYPTION_KEYRING`` or the file named by ``ENCRYPTION_KEYRING_FILE``. The active KEK wraps new data
keys; the others still unwrap the data keys they wrapped until ``rotate_keys`` has re-wrapped them.
The blind-index key (``BLIND_INDEX_KEY``/``_FILE``, base64 of 32 bytes) is separate, so that a leak of
one never helps with the other.

In development (DEBUG) with nothing configured, both are generated on first use under ``VAR_DIR``
(``keyring.json`` and ``blind_index.key``, mode 0600, git-ignored). Production refuses to start without
them (see ``config/settings.py``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from encryption.exceptions import DecryptionError

KEY_BYTES = 32
KEK_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

_lock = threading.Lock()
_keyring: Keyring | None = None
_blind_index_key: bytes | None = None


@dataclass(frozen=True)
class Keyring:
    """The loaded KEKs, as cached AES-GCM objects by KEK id, and which one is active."""

    active_id: str
    aeads: dict[str, AESGCM] = field(repr=False)
    from_dev_file: bool = False

    @property
    def active(self) -> AESGCM:
        """The AES-GCM object of the active KEK."""
        return self.aeads[self.active_id]

    def aead(self, kek_id: str) -> AESGCM:
        """The AES-GCM object of KEK ``kek_id``; a KEK missing from the keyring cannot unwrap anything."""
        try:
            return self.aeads[kek_id]
        except KeyError:
            raise DecryptionError(
                f"The key-encryption key {kek_id!r} is not in the keyring; restore it to read data keys "
                "it wrapped."
            ) from None


def _decode_key(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ImproperlyConfigured(f"{what} must be a base64 string of {KEY_BYTES} bytes.")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{what} is not valid base64.") from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{what} must be {KEY_BYTES} bytes (base64 of 32 random bytes).")
    return raw


def _keyring_json(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except ValueError:
        raise ImproperlyConfigured("ENCRYPTION_KEYRING is not valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict) or not data["keys"]:
        raise ImproperlyConfigured(
            'ENCRYPTION_KEYRING must look like {"active": "k1", "keys": {"k1": "..."}}.'
        )
    return data


def parse_keyring(text: str, *, from_dev_file: bool = False) -> Keyring:
    """Parse and check keyring JSON; any problem stops start-up with a message that names no key."""
    data = _keyring_json(text)
    keys = data["keys"]
    assert isinstance(keys, dict)
    aeads: dict[str, AESGCM] = {}
    for kek_id, value in keys.items():
        if not KEK_ID_PATTERN.match(str(kek_id)):
            raise ImproperlyConfigured("ENCRYPTION_KEYRING key ids must be 1-32 letters, digits, - or _.")
        aeads[kek_id] = AESGCM(_decode_key(value, f"ENCRYPTION_KEYRING key {kek_id!r}"))
    active = data.get("active")
    if not isinstance(active, str) or active not in aeads:
        raise ImproperlyConfigured("ENCRYPTION_KEYRING 'active' must name one of its keys.")
    return Keyring(active_id=active, aeads=aeads, from_dev_file=from_dev_file)


def new_key_b64() -> str:
    """A fresh random 32-byte key, base64-encoded as the keyring expects."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _write_private(path: Path, text: str, *, exclusive: bool) -> bool:
    """Write ``text`` to ``path`` readable by the owner only; return False if it already existed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        # O_EXCL: two processes starting at once (test workers, runserver's reloader) must not each
        # generate a different key and overwrite each other.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return True
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)  # atomic: a reader sees the old or the new keyring, never half of one
    return True


def _dev_allowed(what: str) -> None:
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            f"{what} is not configured. Production (DEBUG=false) needs it from the environment or a "
            "*_FILE secret; see README.md, Encryption."
        )


def _load_keyring() -> Keyring:
    configured = getattr(settings, "ENCRYPTION_KEYRING", "")
    if configured:
        return parse_keyring(configured)
    _dev_allowed("ENCRYPTION_KEYRING")
    path = Path(settings.ENCRYPTION_DEV_KEYRING_FILE)
    if not path.exists():
        _write_private(path, json.dumps({"active": "k1", "keys": {"k1": new_key_b64()}}, indent=2),
                       exclusive=True)
    return parse_keyring(path.read_text(encoding="utf-8"), from_dev_file=True)


def _load_blind_index_key() -> bytes:
    configured = getattr(settings, "BLIND_INDEX_KEY", "")
    if configured:
        return _decode_key(configured, "BLIND_INDEX_KEY")
    _dev_allowed("BLIND_INDEX_KEY")
    path = Path(settings.ENCRYPTION_DEV_BLIND_INDEX_KEY_FILE)
    if not path.exists():
        _write_private(path, new_key_b64() + "\n", exclusive=True)
    return _decode_key(path.read_text(encoding="utf-8"), "The development blind-index key")


def get_keyring() -> Keyring:
    """The keyring, loaded once per process (and again after ``reset_keyring``)."""
    global _keyring
    keyring = _keyring
    if keyring is None:
        with _lock:
            if _keyring is None:
                _keyring = _load_keyring()
            keyring = _keyring
    return keyring


def get_blind_index_key() -> bytes:
    """The blind-index HMAC key, loaded once per process."""
    global _blind_index_key
    key = _blind_index_key
    if key is None:
        with _lock:
            if _blind_index_key is None:
                _blind_index_key = _load_blind_index_key()
            key = _blind_index_key
    return key


def check_configuration() -> None:
    """Load both keys now and check they differ, so a bad configuration stops start-up, not a request."""
    get_keyring()
    bi_key = get_blind_index_key()
    # AESGCM objects do not expose their key, so compare against the configured JSON.
    configured = getattr(settings, "ENCRYPTION_KEYRING", "")
    if configured:
        keys = _keyring_json(configured)["keys"]
        assert isinstance(keys, dict)
        if any(_decode_key(v, "key") == bi_key for v in keys.values()):
            raise ImproperlyConfigured("BLIND_INDEX_KEY must not be one of the encryption keys.")


def add_dev_kek() -> str:
    """Add a new KEK to the development keyring file and make it active; return its id.

    Only for the generated development keyring: in production the keyring is configuration, and a new
    KEK is added by the operator (see README.md, Encryption).
    """
    if getattr(settings, "ENCRYPTION_KEYRING", ""):
        raise ImproperlyConfigured("The keyring comes from configuration; add the new key there.")
    _dev_allowed("ENCRYPTION_KEYRING")
    get_keyring()  # make sure the file exists
    path = Path(settings.ENCRYPTION_DEV_KEYRING_FILE)
    with _lock:
        data = _keyring_json(path.read_text(encoding="utf-8"))
        keys = data["keys"]
        assert isinstance(keys, dict)
        number = len(keys) + 1
        while f"k{number}" in keys:
            number += 1
        kek_id = f"k{number}"
        keys[kek_id] = new_key_b64()
        data["active"] = kek_id
        _write_private(path, json.dumps(data, indent=2), exclusive=False)
    reset_keyring()
    return kek_id


def reset_keyring() -> None:
    """Forget the loaded keys (tests that change settings, and after adding a KEK)."""
    global _keyring, _blind_index_key
    with _lock:
        _keyring = None
        _blind_index_key = None
