"""Tampering as a real attacker with the table owner's rights would do it: switch the append-only
triggers off, change rows with raw SQL, and (here, unlike a real attack) switch them back on.

Tests run inside a transaction, so the rollback at the end of each test also restores everything.
``tests/conftest.py`` also uses ``triggers_off`` around the table flush of transactional tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from audit import triggers


@contextmanager
def triggers_off() -> Iterator[None]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {triggers.TABLE} DISABLE TRIGGER USER")
        else:
            for sql in triggers.statements(connection.vendor, install=False):
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {triggers.TABLE} ENABLE TRIGGER USER")
            else:
                for sql in triggers.statements(connection.vendor, install=True):
                    cursor.execute(sql)


def raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
