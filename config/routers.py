"""Database routing: the key store (the encryption app) in its own database, everything else in "default".

The main database then never holds key material, so none of its backups can undo a crypto-shredding;
the key store holds only wrapped data keys, blind indexes and the erasure ledger (no personal data).
Rows of the main database refer to data keys by id (foreign keys without a database constraint), and
no query joins the two: code that needs both reads one, then the other.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

KEY_STORE_APPS = frozenset({"encryption"})


def keys_alias() -> str:
    """The alias of the key-store database."""
    return getattr(settings, "KEYS_DATABASE_ALIAS", "keys")


class KeyStoreRouter:
    """Send the encryption app to the key store, and nothing else."""

    def _db(self, model: Any) -> str:
        return keys_alias() if model._meta.app_label in KEY_STORE_APPS else "default"

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return self._db(model)

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self._db(model)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Owners refer to their data key across the two databases (by id, no constraint).
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return (db == keys_alias()) == (app_label in KEY_STORE_APPS)
