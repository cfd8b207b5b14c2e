"""A tally of every table, in one query per database, to prove that a refused request changed nothing.

Inside a test's transaction on PostgreSQL the tally is the number of rows written (inserted, updated or
deleted) so far in the transaction, from ``pg_stat_xact_user_tables``: it reads no table, so it costs the
same whatever the test built, and it also catches an UPDATE, which a row count would not. A write that a
savepoint rolled back still counts: a refused request should not have attempted it. Elsewhere (SQLite, a
test that commits, or a server not counting: ``track_counts`` off) it is each table's row count. Only the
access trail is partitioned, and it is excluded (its partitions would be tallied under their own names).
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.db import connections, router

from audit.models import AccessEvent

# Sessions change on every signed-in request; the access trail is checked event by event instead.
ALWAYS_EXCLUDED = {"django_session", AccessEvent._meta.db_table}


def _tables() -> dict[str, list[str]]:
    """Tables by database alias (the key store's tables live in their own database)."""
    by_alias: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            by_alias.setdefault(router.db_for_write(model), set()).add(model._meta.db_table)
    return {alias: sorted(tables) for alias, tables in by_alias.items()}


@cache
def _counts_writes(alias: str) -> bool:
    """Whether this PostgreSQL server keeps the per-transaction write counters (``track_counts``)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW track_counts")
        return cursor.fetchone()[0] == "on"


def row_counts(exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
    """``{table: tally}`` for every model's table (history tables and many-to-many tables included), in
    the main database and the key store, one query each: rows written so far in the test's transaction
    on PostgreSQL, otherwise rows in the table (see the module's docstring)."""
    counts: dict[str, int] = {}
    for alias, all_tables in _tables().items():
        tables = [t for t in all_tables if t not in ALWAYS_EXCLUDED and t not in exclude]
        connection = connections[alias]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and connection.in_atomic_block and _counts_writes(alias):
                cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
                               "WHERE schemaname = current_schema() AND relname = ANY(%s)", [tables])
                counts.update(dict.fromkeys(tables, 0))
            else:
                quote = connection.ops.quote_name
                cursor.execute(" UNION ALL ".join(f"SELECT %s, COUNT(*) FROM {quote(t)}"  # noqa: S608 - table names
                                                  for t in tables), tables)
            counts.update(cursor.fetchall())
    return counts


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Tables whose tally moved, with the difference."""
    return {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}


def last_event_id() -> int:
    return AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(event_id: int) -> list[tuple[str, str]]:
    """``(action, outcome)`` of the access events written after ``event_id``."""
    return list(AccessEvent.objects.filter(id__gt=event_id).order_by("id").values_list("action", "outcome"))
