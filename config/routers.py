"""Database routing: the key store (the encryption app) in its own database, everything else in "default",
and, where a view asks for it and ``DATABASE_REPLICA_URL`` names a streaming replica, reads from the replica.

The main database then never holds key material, so none of its backups can undo a crypto-shredding;
the key store holds only wrapped data keys, blind indexes and the erasure ledger (no personal data).
Rows of the main database refer to data keys by id (foreign keys without a database constraint), and
no query joins the two: code that needs both reads one, then the other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections

KEY_STORE_APPS = frozenset({"encryption"})
REPLICA_ALIAS = "replica"

# Set while a view that may read a little stale data (the auditors' pages, the statistics, the exports)
# runs: its reads go to the replica. Everything else, and every write, stays on the primary.
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within this block, reads of the main database go to the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def _streamed(chunks: Iterable[Any]) -> Iterator[Any]:
    # A streamed response is produced after the view returns: keep reading from the replica meanwhile.
    with replica_reads():
        yield from chunks


def reads_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view whose reads may come from the replica: what it shows may lag the primary by the replica's
    delay (usually well under a second). Put it innermost, so that access checks and the view's own audit
    event (a write) stay on the primary. A streamed response keeps reading from the replica."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            response = view(*args, **kwargs)
        if getattr(response, "streaming", False):
            response.streaming_content = _streamed(response.streaming_content)
        return response

    return wrapped


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.settings


def keys_alias() -> str:
    """The alias of the key-store database."""
    return getattr(settings, "KEYS_DATABASE_ALIAS", "keys")


class KeyStoreRouter:
    """Send the encryption app to the key store; reads inside ``replica_reads`` to the replica, unless the
    primary has a transaction open (whose own writes the replica cannot see yet)."""

    def _db(self, model: Any) -> str:
        return keys_alias() if model._meta.app_label in KEY_STORE_APPS else "default"

    def db_for_read(self, model: Any, **hints: Any) -> str:
        db = self._db(model)
        if (db == "default" and _replica_reads.get() and replica_configured()
                and not connections["default"].in_atomic_block):
            return REPLICA_ALIAS
        return db

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self._db(model)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Owners refer to their data key across the two databases (by id, no constraint).
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        if db == REPLICA_ALIAS:
            return False  # a streaming replica follows the primary; nothing is migrated on it
        return (db == keys_alias()) == (app_label in KEY_STORE_APPS)
