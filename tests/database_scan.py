"""Search everything the database has stored for a value: the check that plaintext never lands on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.db import connections

KEY_STORE = "keys"
_SCANNED_TYPES = ["bytea", "character", "character varying", "json", "jsonb", "text"]


def sqlite_file_bytes(tmp_path: Path, alias: str = "default") -> bytes:
    """Every page of the SQLite database ``alias``, as committed, copied to a real file (the test
    database may be in memory) and read back as bytes."""
    copy_path = tmp_path / f"scan-{alias}.sqlite3"
    target = sqlite3.connect(copy_path)
    conn = connections[alias]
    conn.ensure_connection()
    conn.connection.backup(target)
    target.close()
    return copy_path.read_bytes()


def all_sqlite_bytes(tmp_path: Path) -> bytes:
    """The bytes of both databases, the main one and the key store."""
    return sqlite_file_bytes(tmp_path) + sqlite_file_bytes(tmp_path, KEY_STORE)


def postgresql_stored_columns(alias: str = "default") -> list[tuple[str, str, str]]:
    """(table, column, data type) of every text, JSON and bytea column in the current schema."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)",
            [_SCANNED_TYPES],
        )
        return cursor.fetchall()


def postgresql_columns_containing(value: str, aliases: tuple[str, ...] = ("default", KEY_STORE)) -> list[str]:
    """``table.column`` of every stored column holding ``value``, as text or as its UTF-8 bytes, in the
    main database and the key store."""
    found = []
    for alias in aliases:
        found += _columns_containing(value, alias)
    return found


def _columns_containing(value: str, alias: str) -> list[str]:
    found = []
    conn = connections[alias]
    with conn.cursor() as cursor:
        for table, column, data_type in postgresql_stored_columns(alias):
            qt, qc = conn.ops.quote_name(table), conn.ops.quote_name(column)
            if data_type == "bytea":
                cursor.execute(f"SELECT count(*) FROM {qt} WHERE position(%s::bytea IN {qc}) > 0",  # noqa: S608
                               [value.encode()])
            else:
                cursor.execute(f"SELECT count(*) FROM {qt} WHERE strpos({qc}::text, %s) > 0",  # noqa: S608
                               [value])
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found
