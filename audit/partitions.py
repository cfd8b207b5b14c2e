"""PostgreSQL: the access trail as a table partitioned by month (declarative partitioning on
``occurred_at``). SQLite keeps one table and none of this runs there.

Every partition gets what the trail itself has: the append-only triggers (the row triggers are cloned
from the parent by PostgreSQL; a TRUNCATE trigger is a statement trigger, which is not cloned, so each
partition gets its own) and exactly the parent's grants (so ``GRANT SELECT, INSERT`` to the application
role, from README "Deployment", holds on a partition reached directly too, and default privileges
cannot give it more). The hash chains ignore partitions: a chain simply runs on from one month into the
next.

A partitioned table's primary key and unique constraints must include the partition key, so on
PostgreSQL they are ``(id, occurred_at)``, ``(chain, sequence, occurred_at)`` and ``(hash,
occurred_at)``; ids still come from one identity sequence, the per-chain advisory lock still serialises
appends, and the verifier still requires sequences 1, 2, 3, … with each ``prev_hash`` linking.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from audit import triggers

TABLE = triggers.TABLE
DEFAULT_PARTITION = f"{TABLE}_default"
_UNPARTITIONED = f"{TABLE}_unpartitioned"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def is_partitioned(cursor: Any) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
    row = cursor.fetchone()
    return bool(row and row[0] == "p")


def partitions(cursor: Any) -> list[tuple[str, str]]:
    """(name, bound expression) of every partition, in name order (months sort by name)."""
    cursor.execute(
        """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname""",
        [TABLE],
    )
    return [(row[0], row[1]) for row in cursor.fetchall()]


def _grants(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        """SELECT grantee, privilege_type FROM information_schema.role_table_grants
           WHERE table_name = %s AND grantee <> (SELECT tableowner FROM pg_tables WHERE tablename = %s)
           ORDER BY grantee, privilege_type""",
        [table, table],
    )
    return [(row[0], row[1]) for row in cursor.fetchall()]


def _quote(cursor: Any, name: str) -> str:
    cursor.execute("SELECT quote_ident(%s)", [name])
    return str(cursor.fetchone()[0])


def copy_grants(cursor: Any, partition: str, grants: list[tuple[str, str]] | None = None) -> None:
    """Give ``partition`` exactly the trail's grants: revoke whatever else (default privileges) gave."""
    grants = _grants(cursor, TABLE) if grants is None else grants
    target = _quote(cursor, partition)
    for grantee in sorted({g for g, _p in _grants(cursor, partition)} | {g for g, _p in grants}):
        cursor.execute(f"REVOKE ALL ON {target} FROM {_quote(cursor, grantee)}")
    for grantee, privilege in grants:
        if privilege in {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}:
            cursor.execute(f"GRANT {privilege} ON {target} TO {_quote(cursor, grantee)}")


def _truncate_trigger(cursor: Any, partition: str) -> None:
    cursor.execute(
        f"CREATE TRIGGER audit_accessevent_no_truncate BEFORE TRUNCATE ON {_quote(cursor, partition)} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_accessevent_append_only()"
    )


def ensure_month(cursor: Any, month: dt.date, grants: list[tuple[str, str]] | None = None) -> bool:
    """Create the partition of ``month`` (with its trigger and grants) unless it exists; True if created."""
    month = month_start(month)
    name = partition_name(month)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    cursor.execute(
        f"CREATE TABLE {_quote(cursor, name)} PARTITION OF {TABLE} "
        "FOR VALUES FROM (%s) TO (%s)",
        [f"{month.isoformat()} 00:00:00+00", f"{next_month(month).isoformat()} 00:00:00+00"],
    )
    _truncate_trigger(cursor, name)
    copy_grants(cursor, name, grants)
    return True


def ensure_months(cursor: Any, first: dt.date, last: dt.date) -> list[str]:
    """Partitions for every month from ``first`` to ``last`` inclusive; the names of those created."""
    created, month, grants = [], month_start(first), _grants(cursor, TABLE)
    while month <= month_start(last):
        if ensure_month(cursor, month, grants):
            created.append(partition_name(month))
        month = next_month(month)
    return created


def _keys_and_indexes(cursor: Any, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
        "AND contype IN ('p', 'u') ORDER BY conname", [table])
    keys = [(row[0], row[1]) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table])
    names = {name for name, _ in keys}
    return keys, [row[1] for row in cursor.fetchall() if row[0] not in names]


def _rebuild(cursor: Any, *, partitioned: bool, today: dt.date) -> None:
    """Move the trail into a new table (partitioned or not) with the same columns, checks, keys, indexes,
    identity sequence position, triggers and grants, then drop the old one. One transaction (the
    migration's): nothing is visible half-done."""
    keys, indexes = _keys_and_indexes(cursor, TABLE)
    grants = _grants(cursor, TABLE)
    cursor.execute(f"SELECT pg_get_serial_sequence('{TABLE}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT max(id), min(occurred_at), max(occurred_at) FROM {TABLE}")  # noqa: S608 - a constant table name
    max_id, oldest, newest = cursor.fetchone()
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {_UNPARTITIONED}")
    if sequence:
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {_UNPARTITIONED}_id_seq")
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {_UNPARTITIONED} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        + (" PARTITION BY RANGE (occurred_at)" if partitioned else "")
    )
    cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
    if max_id is not None:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), %s)", [max_id])
    for sql in triggers.POSTGRESQL_INSTALL:
        cursor.execute(sql)
    if partitioned:
        first = min(today, oldest.date()) if oldest else today
        last = max(next_month(today), newest.date()) if newest else next_month(today)
        ensure_months(cursor, first, last)
        # Rows outside every month (a clock far off) land here instead of failing the request.
        cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
        _truncate_trigger(cursor, DEFAULT_PARTITION)
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {_UNPARTITIONED}")  # noqa: S608
    cursor.execute(f"DROP TABLE {_UNPARTITIONED}")
    for name, definition in keys:
        columns = definition[definition.index("(") + 1:definition.rindex(")")]
        parts = [c.strip() for c in columns.split(",") if c.strip() != "occurred_at"]
        if partitioned:
            parts.append("occurred_at")
        kind = definition[:definition.index("(")].strip()
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {_quote(cursor, name)} {kind} ({', '.join(parts)})")
    for definition in indexes:
        cursor.execute(definition)
    cursor.execute(f"ANALYZE {TABLE}")
    for grantee, privilege in grants:
        cursor.execute(f"GRANT {privilege} ON {TABLE} TO {_quote(cursor, grantee)}")
    if partitioned:
        for name, _bound in partitions(cursor):
            copy_grants(cursor, name, grants)


def partition_trail(cursor: Any, today: dt.date) -> None:
    """Turn the (possibly non-empty) trail into a partitioned table, one partition per month."""
    if not is_partitioned(cursor):
        _rebuild(cursor, partitioned=True, today=today)


def unpartition_trail(cursor: Any, today: dt.date) -> None:
    """The reverse: one ordinary table again, keys without the partition key."""
    if is_partitioned(cursor):
        _rebuild(cursor, partitioned=False, today=today)


def default_rows(cursor: Any) -> int:
    """Events outside every month (they went to the default partition): 0 unless a clock was far off."""
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DEFAULT_PARTITION])
    if not cursor.fetchone()[0]:
        return 0
    cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")  # noqa: S608
    return int(cursor.fetchone()[0])
