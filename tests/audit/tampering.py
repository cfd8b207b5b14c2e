"""Tampering as a real attacker with the table owner's rights would do it: switch the append-only
triggers off, change rows with raw SQL, and (here, unlike a real attack) switch them back on.

Tests run inside a transaction, so the rollback at the end of each test also restores everything.
``tests/conftest.py`` also uses ``triggers_off`` around the table flush of transactional tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from audit import partitions, triggers


def _tables(cursor: object) -> list[str]:
    # The trail and (partitioned, on PostgreSQL) each month: a partition's TRUNCATE trigger is its own.
    return [triggers.TABLE, *(name for name, _bound in partitions.partitions(cursor))]


@contextmanager
def triggers_off() -> Iterator[None]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in _tables(cursor):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for sql in triggers.statements(connection.vendor, install=False):
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for table in _tables(cursor):
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            else:
                for sql in triggers.statements(connection.vendor, install=True):
                    cursor.execute(sql)


def raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
